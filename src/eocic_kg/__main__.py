"""``python -m eocic_kg``: the same as the ``eocic-kg`` command."""

import sys

from eocic_kg.cli import main

sys.exit(main())
