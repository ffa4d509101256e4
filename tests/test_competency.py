"""Competency questions: what a researcher asks of the report, answered by the named queries.

Every expected answer is read off the report text (tests/data/report.txt), chapter by chapter.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from .competency import ID, column, ids, oxigraph_term, run

ALL_REGIONS = ids(
    "region",
    "cantabria",
    "centre-val-de-loire",
    "east-north-finland",
    "hauts-de-france",
    "lithuania",
    "north-middle-sweden",
    "piemonte",
    "saxony",
    "slovenia",
    "wallonia",
)


def regions_facing(challenge: str) -> set[str]:
    return set(
        column(run("regions-by-challenge", challenge=f"{ID}challenge/{challenge}"), "region")
    )


# Chapter 3: region-challenge links -------------------------------------------------------------


@pytest.mark.parametrize(
    ("challenge", "regions"),
    [
        (
            "demographic-change",
            (
                "centre-val-de-loire",
                "east-north-finland",
                "hauts-de-france",
                "lithuania",
                "north-middle-sweden",
                "piemonte",
                "saxony",
                "slovenia",
            ),
        ),
        ("urbanisation", ("east-north-finland", "north-middle-sweden")),
        (
            "talent-and-skills",
            (
                "cantabria",
                "centre-val-de-loire",
                "north-middle-sweden",
                "piemonte",
                "saxony",
                "lithuania",
            ),
        ),
        ("cluster-excellence", ("lithuania", "slovenia")),
        (
            "funding",
            ("east-north-finland", "lithuania", "piemonte", "north-middle-sweden", "wallonia"),
        ),
        (
            "entrepreneurial-culture",
            (
                "centre-val-de-loire",
                "east-north-finland",
                "north-middle-sweden",
                "piemonte",
                "wallonia",
            ),
        ),
        (
            "collaboration-and-outreach",
            (
                "cantabria",
                "centre-val-de-loire",
                "lithuania",
                "north-middle-sweden",
                "piemonte",
                "wallonia",
            ),
        ),
        (
            "climate-change-circular-economy",
            (
                "centre-val-de-loire",
                "east-north-finland",
                "hauts-de-france",
                "north-middle-sweden",
                "saxony",
                "slovenia",
                "piemonte",
                "wallonia",
            ),
        ),
        ("automation", ("centre-val-de-loire", "north-middle-sweden", "piemonte")),
        ("customisation", ("cantabria", "centre-val-de-loire", "wallonia")),
        ("broadband-coverage", ("piemonte", "cantabria")),
    ],
)
def test_regions_facing_a_challenge(challenge: str, regions: tuple[str, ...]) -> None:
    assert regions_facing(challenge) == ids("region", *regions)


def test_digitalisation_is_named_in_all_ten_regions() -> None:
    assert regions_facing("digitalisation") == ALL_REGIONS


def test_regions_not_named_for_demographic_change() -> None:
    rows = run("regions-without-challenge", challenge=f"{ID}challenge/demographic-change")
    assert set(column(rows, "region")) == ids("region", "cantabria", "wallonia")


def test_challenge_attribution_carries_section_and_quote() -> None:
    rows = run("regions-by-challenge", challenge=f"{ID}challenge/cluster-excellence")
    assert {row["section"] for row in rows} == {f"{ID}section/3-demography-skills"}
    assert all("Lithuania" in row["quote"] and "Slovenia" in row["quote"] for row in rows)


def test_challenge_frequency_puts_digitalisation_first() -> None:
    rows = run("challenge-frequency")
    assert rows[0]["challenge"] == f"{ID}challenge/digitalisation"
    assert rows[0]["regions"] == "10"


def test_drivers_of_internationalisation() -> None:
    rows = run("internationalisation-drivers")
    assert set(column(rows, "driver")) == ids(
        "challenge", "funding", "entrepreneurial-culture", "collaboration-and-outreach"
    )


def test_regions_sharing_challenges_with_saxony_exclude_saxony() -> None:
    rows = run("regions-sharing-challenges", region=f"{ID}region/saxony")
    others = column(rows, "other")
    assert f"{ID}region/saxony" not in others
    assert set(others) <= ALL_REGIONS and len(others) == 9  # digitalisation is shared by all


# Chapter 3: survey figures ----------------------------------------------------------------------


def survey_figure(slug: str) -> dict[str, str]:
    rows = [row for row in run("survey-figures") if row["figure"] == f"{ID}survey-figure/{slug}"]
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("slug", "percent", "comparator", "report_figure"),
    [
        ("qualified-labour-force", "42", "exactly", 2),
        ("universities-industry-rdi", "73", "more than", 2),
        ("technology-transfer", "44", "exactly", 2),
        ("joint-curricula-university", "30", "less than", 2),
        ("development-internationalisation-measures", "47", "exactly", 3),
        ("fdi-and-technology-transfer", "23", "exactly", 3),
        ("sufficient-cluster-organisations", "54", "about", 4),
        ("university-spin-offs", "49", "exactly", 4),
        ("circular-solutions-developed", "48", "exactly", 5),
        ("companies-focused-on-solutions", "45", "exactly", 5),
        ("cluster-contribution-circular", "41", "exactly", 5),
        ("digitalisation-important", "60", "exactly", 6),
        ("digitalisation-private-sector-driven", "57", "exactly", 6),
        ("cluster-organisations-role-digitalisation", "50", "exactly", 6),
        ("digital-innovation-hubs-impact", "33", "exactly", 6),
    ],
)
def test_survey_figure_value_and_exactness(
    slug: str, percent: str, comparator: str, report_figure: int
) -> None:
    row = survey_figure(slug)
    assert Decimal(row["percent"]) == Decimal(percent)
    assert row["comparatorLabel"].lower() == comparator
    assert row["reportFigure"] == f"{ID}figure/{report_figure}"


def test_figure_without_a_number_has_no_percent() -> None:
    row = survey_figure("innovative-smes-collaborate")
    assert "percent" not in row
    assert "one in three" in row["verbatim"]
    assert row["comparatorLabel"].lower() == "about"


def test_approximate_figures_are_the_vague_ones() -> None:
    labels = {row["verbatim"] for row in run("approximate-survey-figures")}
    assert any("over 73%" in v for v in labels)
    assert any("less than 30%" in v for v in labels)
    assert any("54%" in v for v in labels)
    assert not any(v.startswith("only 42%") for v in labels)


def test_survey_figures_at_or_above_half() -> None:
    rows = run("survey-figures-above", threshold="50")
    assert sorted(Decimal(v) for v in column(rows, "percent")) == [
        Decimal(v) for v in ("50", "54", "57", "60", "73")
    ]


def test_survey_responses_and_respondent_types() -> None:
    (row,) = run("survey-overview")
    assert row["responses"] == "180" and row["comparatorLabel"].lower() == "about"
    assert len(row["respondentTypes"].split(", ")) == 5


def test_regional_differences_named_in_the_report() -> None:
    rows = run("regional-differences")
    pairs = {(row["regionLabel"], row["assessmentLabel"].lower()) for row in rows}
    assert ("Saxony", "public-sector driven") in pairs or any(
        region == "Saxony" and "public" in assessment for region, assessment in pairs
    )
    assert any(region == "Wallonia" and "positive" in a for region, a in pairs)
    assert any(region == "Cantabria" and "negative" in a for region, a in pairs)


def test_cantabria_most_negative_on_most_aspects_of_digitalisation_only() -> None:
    """The report qualifies it ("most aspects"): one difference for the theme, not one per
    statement, and the qualifier is kept."""
    rows = [
        row
        for row in run("regional-differences")
        if row["regionLabel"] == "Cantabria" and "digitalisation" in row["quote"]
    ]
    assert len(rows) == 1
    assert rows[0]["statementLabel"] == "Digitalisation and technology"
    assert rows[0]["scope"] == "most aspects of digitalisation and technology"
    assert rows[0]["scope"] in rows[0]["quote"]


# Chapters 4 and 5: measures ---------------------------------------------------------------------


def regions_with_measure_type(measure_type: str) -> set[str]:
    rows = run("measures-by-type", type=f"{ID}measure-type/{measure_type}")
    return set(column(rows, "region"))


@pytest.mark.parametrize(
    ("measure_type", "regions"),
    [
        (
            "strategy-development",
            ("saxony", "east-north-finland", "north-middle-sweden", "piemonte"),
        ),
        ("strategy-implementation", ("lithuania", "saxony", "wallonia", "slovenia")),
        (
            "networks",
            (
                "lithuania",
                "hauts-de-france",
                "east-north-finland",
                "north-middle-sweden",
                "centre-val-de-loire",
                "cantabria",
                "wallonia",
            ),
        ),
        ("skills", ("slovenia", "piemonte", "cantabria", "hauts-de-france", "centre-val-de-loire")),
    ],
)
def test_measures_by_type(measure_type: str, regions: tuple[str, ...]) -> None:
    assert regions_with_measure_type(measure_type) == ids("region", *regions)


def test_measures_of_saxony() -> None:
    rows = run("measures-of-region", region=f"{ID}region/saxony")
    assert set(column(rows, "measure")) == ids(
        "measure", "saxony-strategiewerkstatt", "saxony-strategy-implementation-committee"
    )
    assert all(row["dimensions"] == "Strategy" for row in rows)


def test_dimension_is_inferred_for_both_types_of_a_measure() -> None:
    rows = run("measures-of-region", region=f"{ID}region/lithuania")
    (row,) = rows
    assert set(row["dimensions"].split(", ")) == {"Strategy", "Capacity building"}


def test_capacity_building_covers_networks_and_skills_measures() -> None:
    rows = run("measures-by-dimension", dimension=f"{ID}dimension/capacity-building")
    measures = set(column(rows, "measure"))
    assert f"{ID}measure/centre-val-de-loire-cluster-coaching" in measures
    assert f"{ID}measure/cantabria-network-of-innovation-brokers" in measures
    assert f"{ID}measure/saxony-strategy-implementation-committee" not in measures


def test_measure_typology_counts_regions_per_type() -> None:
    rows = {row["typeLabel"]: row for row in run("measure-typology")}
    assert rows["Networks"]["regions"] == "7"
    assert rows["Skills (measure type)"]["regions"] == "5"


# Chapter 2: regions, clusters, factors ------------------------------------------------------------


def test_cosmetic_valley() -> None:
    rows = [
        r for r in run("cluster-organisations") if r["cluster"] == f"{ID}cluster/cosmetic-valley"
    ]
    (row,) = rows
    assert row["regionLabel"] == "Centre-Val de Loire"
    assert row["founded"] == "1994"
    assert row["members"] == "400" and row["membersComparator"].lower() == "more than"


def test_arctic_smartness_has_six_clusters_in_lapland() -> None:
    rows = [r for r in run("cluster-organisations") if r["cluster"].endswith("arctic-smartness")]
    assert rows[0]["subClusters"] == "6" and rows[0]["placeLabel"] == "Lapland"


def test_cluster_organisations_of_north_middle_sweden() -> None:
    rows = run("clusters-of-region", region=f"{ID}region/north-middle-sweden")
    assert ids("cluster", "paper-province", "findit", "triple-steelix") <= set(column(rows, "item"))


def test_development_factor_examples() -> None:
    rows = {r["factor"]: r for r in run("development-factors")}
    history = rows[f"{ID}factor/economic-diversification-history"]["examples"].split(", ")
    assert set(history) == {"Saxony", "Piemonte", "Hauts-de-France", "North Middle Sweden"}
    assert rows[f"{ID}factor/lack-of-cross-sectoral-linkages"]["examples"] == "Centre-Val de Loire"


def test_regions_link_to_nuts_and_country_authority() -> None:
    rows = {r["region"]: r for r in run("regions")}
    assert set(rows) == ALL_REGIONS
    assert rows[f"{ID}region/saxony"]["nuts"] == "http://data.europa.eu/nuts/code/DED"
    assert rows[f"{ID}region/cantabria"]["countryAuthority"].endswith("/country/ESP")
    assert rows[f"{ID}region/slovenia"]["countryAuthority"].endswith("/country/SVN")


def test_dominant_sectors_of_saxony() -> None:
    (row,) = run("region-profile", region=f"{ID}region/saxony")
    sectors = {s.lower() for s in row["dominantSectors"].split(", ")}
    assert sectors == {"automotive", "energy", "machine building"}
    assert row["countryLabel"] == "Germany"


# Chapter 5, the Observatory, provenance -----------------------------------------------------------


def test_five_steps_in_order_with_examples() -> None:
    rows = run("transition-steps")
    assert column(rows, "notation") == ["1", "2", "3", "4", "5"]
    assert "Strategiewerkstatt" in rows[1]["examples"] or "Assembly" in rows[1]["examples"]


def test_four_journey_phases_three_functions_three_principles() -> None:
    assert column(run("journey-phases"), "notation") == ["1", "2", "3", "4"]
    assert set(column(run("cluster-functions"), "function")) == ids(
        "function", "intelligence", "connecting", "support"
    )
    assert len(run("transition-principles")) == 3


def test_events_with_dates_as_precise_as_the_report() -> None:
    rows = {r["event"]: r for r in run("events")}
    conference = rows[f"{ID}event/european-cluster-conference-2019"]
    assert (conference["date"], conference["endDate"]) == ("2019-05-14", "2019-05-15")
    assert conference["placeLabel"] == "Bucharest"
    assert rows[f"{ID}event/first-call-for-expression-of-interest"]["date"] == "2017-09-29"
    assert rows[f"{ID}event/joint-peer-review-meeting"]["date"] == "--04-04"  # no year given


def test_inconsistencies_are_recorded_with_both_readings() -> None:
    rows = {r["inconsistency"]: r for r in run("report-inconsistencies")}
    demography = rows[f"{ID}inconsistency/demographic-change-region-count"]
    assert (demography["stated"], demography["listed"]) == ("7", "8")
    demonstrators = rows[f"{ID}inconsistency/demonstrator-region-count"]
    assert (demonstrators["stated"], demonstrators["listed"]) == ("12", "10")


def test_key_questions_for_the_peer_review_meeting() -> None:
    rows = run("findings-in-list", list=f"{ID}scheme/joint-peer-review-questions")
    assert column(rows, "notation") == ["1", "2", "3", "4", "5"]


def test_where_stated_points_to_report_parts_with_quotes() -> None:
    rows = run("where-stated", resource=f"{ID}region/lithuania")
    parts = {row["partLabel"] for row in rows}
    assert any(label.startswith("Chapter 3") for label in parts)
    assert all(row.get("quote") for row in rows if row["kindLabel"] == "challenge attribution")


def test_facts_from_chapter_four_include_the_measures() -> None:
    rows = run("facts-from-part", part=f"{ID}section/4")
    assert f"{ID}measure/slovenia-evaluation-partnerships" in column(rows, "resource")


def test_observatory_services() -> None:
    labels = " ".join(column(run("observatory-services"), "label"))
    assert "Panorama" in labels and "Stress Test" in labels and "Smart Guides" in labels


def test_ascii_search_finds_accented_labels() -> None:
    rows = run("search-labels", text="poles de competitivite")
    form = f"{ID}cluster-organisation-form/poles-de-competitivite"
    assert form in column(rows, "resource")
    assert "Pôles de compétitivité" in column(rows, "label")


def test_search_finds_regions_by_their_national_names() -> None:
    rows = run("search-labels", text="Sachsen")
    assert f"{ID}region/saxony" in column(rows, "resource")


# Model 0.3 (issue 21): numbers as numbers ---------------------------------------------------------


def test_list_positions_sort_numerically_not_as_strings() -> None:
    """skos:notation is a string: a list of 20 sorted 1, 10, 11, ..., 2. eocic:position sorts."""
    rows = run("findings-in-list", list=f"{ID}scheme/jprm-statements")
    positions = [int(p) for p in column(rows, "position")]
    assert len(positions) == len(rows) > 10
    assert positions == list(range(1, len(rows) + 1))
    assert column(rows, "notation") == [str(p) for p in positions]


def test_every_finding_list_row_is_one_finding() -> None:
    """A finding with several quotes repeated its row; now its quotes are joined in one row."""
    rows = run("findings-in-list", list=f"{ID}scheme/cluster-policy-findings")
    findings = column(rows, "finding")
    assert len(findings) == len(set(findings)) == 9
    assert all(row.get("position") for row in rows)


def test_about_one_in_three_is_a_number_with_comparator_and_unit() -> None:
    # "only about one in three of the pilot regions thought that regional innovative SMEs
    # collaborate with one another"
    row = survey_figure("innovative-smes-collaborate")
    assert Decimal(row["share"]) == Decimal("0.33")
    assert row["comparatorLabel"].lower() == "about"
    assert "pilot regions" in row["unitLabel"].lower()
    rows = run("survey-figures-above", threshold="30")
    assert "Innovative SMEs collaborate with one another" in column(rows, "statementLabel")
    assert "Innovative SMEs collaborate with one another" not in column(
        run("survey-figures-above", threshold="34"), "statementLabel"
    )


def test_most_regions_do_not_agree_says_no_number_given() -> None:
    row = survey_figure("foreign-nationals-attracted")
    assert row["valueStated"] == "false" and "share" not in row
    silences = {(r["resource"], r["silence"]) for r in run("report-silences")}
    assert (f"{ID}survey-figure/foreign-nationals-attracted", "no number given") in silences


@pytest.mark.parametrize(
    ("slug", "percent"),
    [
        ("qualified-labour-force", "42"),
        ("universities-industry-rdi", "73"),
        ("university-spin-offs", "49"),
    ],
)
def test_percent_figures_have_their_share(slug: str, percent: str) -> None:
    row = survey_figure(slug)
    assert Decimal(row["share"]) * 100 == Decimal(percent)


def test_counts_follow_one_pattern() -> None:
    """Counts lived in five properties; every count is now a quantity of the thing counted."""
    rows = run("counts")
    by_thing = {(r["thing"], r["value"]) for r in rows if "value" in r}
    # "Arctic Smartness which comprises six clusters"; "four and three regional universities";
    # "four European Cluster Policy Forum events"; "with over 400 members"
    for thing, value in [
        ("cluster/arctic-smartness", "6"),
        ("region/piemonte", "4"),
        ("region/saxony", "3"),
        ("event-series/european-cluster-policy-forum", "4"),
        ("cluster/cosmetic-valley", "400"),
    ]:
        assert (f"{ID}{thing}", value) in by_thing


def test_report_gives_no_number_of_clusters_for_cantabria() -> None:
    # "the modest number of existing clusters"
    rows = [r for r in run("counts") if r["thing"] == f"{ID}region/cantabria"]
    assert len(rows) == 1 and "value" not in rows[0]
    assert rows[0]["valueStated"] == "false" and "modest number" in rows[0]["verbatim"]


def test_ten_emerging_industries_are_not_named() -> None:
    # "across 51 cluster sectors and 10 emerging industries": counts without members
    rows = {r["resource"]: r for r in run("report-silences") if r["silence"] == "members not named"}
    # and "six have their own regional government", "two are collaborations of sub-regions":
    # the report does not say which
    assert set(rows) == ids(
        "quantity",
        "panorama-emerging-industries",
        "panorama-cluster-sectors",
        "pilot-regions-with-own-government",
        "pilot-regions-collaborations-of-sub-regions",
    )


# Model 0.3: one identity per thing --------------------------------------------------------------


def test_countries_are_not_pilot_regions() -> None:
    """`?c a eocic:Country` mixed Lithuania and Slovenia (pilot regions) with Romania."""
    rows = {r["country"]: r for r in run("countries")}
    assert not set(rows) & ALL_REGIONS
    assert rows[f"{ID}country/lithuania"]["memberStatePilotRegion"] == f"{ID}region/lithuania"
    assert rows[f"{ID}country/slovenia"]["memberStatePilotRegion"] == f"{ID}region/slovenia"
    assert rows[f"{ID}country/germany"]["pilotRegions"] == "Saxony"
    assert rows[f"{ID}country/romania"].get("pilotRegions") is None  # host of an event only
    assert sorted(rows[f"{ID}country/france"]["pilotRegions"].split(", ")) == [
        "Centre-Val de Loire",
        "Hauts-de-France",
    ]


# Model 0.3: symmetric regional differences -------------------------------------------------------


def test_comparisons_are_stated_on_both_sides() -> None:
    """Saxony was compared with North Middle Sweden; North Middle Sweden's node said nothing."""
    rows = run("regional-differences")
    compared = {
        (r["regionLabel"], other, r["statementLabel"])
        for r in rows
        for other in r.get("comparedWith", "").split(", ")
        if other
    }
    assert compared
    for region, other, about in compared:
        assert (other, region, about) in compared
    # "in North Middle Sweden, technology transfer was seen as an issue while this was less the
    # case in Saxony"; "more positive in Wallonia than in Centre-Val de Loire, East & North
    # Finland or Hauts-de-France"
    assert ("North Middle Sweden", "Saxony", "Technology transfer") in compared
    for other in ("Centre-Val de Loire", "East & North Finland", "Hauts-de-France"):
        assert (other, "Wallonia", "Start-ups founded as spin-offs from universities") in compared


def test_one_property_reaches_what_differs() -> None:
    rows = run("regional-differences")
    assert all(r.get("statementLabel") for r in rows)
    themes = {r["statementLabel"] for r in rows if r["regionLabel"] == "Cantabria"}
    assert "Digitalisation and technology" in themes  # a theme, reached by the same property


# Model 0.3: the stated-facts mode -----------------------------------------------------------------

STATED = (
    "FROM <https://w3id.org/eocic/graph/data>\nFROM <https://w3id.org/eocic/graph/inferred>\nWHERE"
)


def _stated_mode(text: str) -> str:
    """`text` with the graph pair of the stated-facts mode before its first WHERE."""
    head, sep, tail = text.partition("WHERE")
    assert sep, text
    return head + STATED + tail


def test_named_queries_answer_the_same_in_the_stated_facts_mode() -> None:
    """`FROM <.../graph/data>` alone returned 0 rows for labels and inverses without a word; the
    pair the README names answers every named query as the whole release does."""
    import pyoxigraph as ox

    from eocic_kg.catalogue import load_catalogue

    from .release_cache import release_nquads

    store = ox.Store()
    store.load(release_nquads().read_bytes(), format=ox.RdfFormat.N_QUADS)
    different = []
    for name, query in load_catalogue().items():
        substitutions = {  # the defaults; every parameter of a named query has one
            ox.Variable(variable): oxigraph_term(term)
            for variable, term in query.bindings({}).items()
        }

        whole, stated = (
            sorted(
                str(solution)
                for solution in store.query(
                    text, substitutions=substitutions, use_default_graph_as_union=True
                )
            )
            for text in (query.text, _stated_mode(query.text))
        )
        if whole and stated != whole:
            different.append(name)
    assert not different, different


# Model 0.3: typed findings ------------------------------------------------------------------------


def test_two_levels_of_cluster_role_restate_the_policy_dimensions() -> None:
    # "There are two major levels at which clusters can play a role: a) at a strategic level ...
    # and b) by building capacity"
    rows = run("findings-by-type", type=f"{ID}finding-type/characteristic")
    (row,) = [r for r in rows if r["finding"].endswith("two-levels-of-cluster-role")]
    assert set(row["restates"].split("; ")) == {"Strategy", "Capacity building"} or all(
        word in row["restates"].lower() for word in ("strategy", "capacity building")
    )


def test_disparities_are_a_type_and_their_targets_have_a_kind() -> None:
    rows = run("findings-by-type")  # default: disparity
    assert rows
    by_label = {r["label"]: r for r in rows}
    # "the regions differ widely in their administrative structures"
    assert (
        "pilot region"
        in by_label["The pilot regions differ widely in their administrative structures"][
            "aboutKinds"
        ]
    )


def test_every_finding_is_typed_and_about_something() -> None:
    """Nine findings linked to nothing; none was typed."""
    from .release_cache import release_graph

    graph = release_graph()
    from rdflib import RDF, Namespace

    eocic = Namespace("https://w3id.org/eocic/ontology#")
    findings = set(graph.subjects(RDF.type, eocic.Finding))
    assert len(findings) > 100
    assert all(graph.value(f, eocic.findingType) is not None for f in findings)
    assert all(graph.value(f, eocic.aboutResource) is not None for f in findings)


def test_findings_about_regions_include_the_step_examples() -> None:
    """The step examples used eocic:exampleRegion, so the usual property returned no regions."""
    rows = run("findings-about-kind", kind="https://w3id.org/eocic/ontology#PilotRegion")
    pairs = {(r["finding"].split("--")[-1], r["targetLabel"]) for r in rows}
    # "several of the proposed measures (e.g. Slovenia, Wallonia and East & North Finland) focus
    # on piloting, monitoring and evaluation"
    for region in ("Slovenia", "Wallonia", "East & North Finland"):
        assert ("assessing-piloting-monitoring-evaluation", region) in pairs


# Model 0.3: facts that were prose ----------------------------------------------------------------


def test_administrative_structures_counts_and_named_members() -> None:
    # "Two regions are member states, six have their own regional government ..., and two are
    # collaborations of sub-regions"; footnote 1 names "the two countries: Slovenia and Lithuania"
    rows = {r["label"]: r for r in run("administrative-structures")}
    assert [int(r["count"]) for r in run("administrative-structures")] == [2, 6, 2]
    member = rows["Member state (administrative structure)"]
    assert sorted(member["regions"].split(", ")) == ["Lithuania", "Slovenia"]
    assert rows["Own regional government"]["membersNamed"] == "false"
    assert "regions" not in rows["Own regional government"]


def test_action_plan_horizons_in_years() -> None:
    # "short term (e.g. annual), medium term (e.g. 5-10 years) and longer term (10+ years)"
    rows = run("action-plan-horizons")
    years = [(r.get("minYears"), r.get("maxYears")) for r in rows]
    assert years == [(None, "1"), ("5", "10"), ("10", None)]
    assert [r["verbatim"] for r in rows] == [
        "short term (e.g. annual)",
        "medium term (e.g. 5-10 years)",
        "longer term (10+ years)",
    ]
    assert {r["step"] for r in rows} == {f"{ID}step/implementing"}


def test_strategiewerkstatt_lasts_three_years() -> None:
    # "The Strategiewerkstatt is a three-year open communication and consultation process"
    rows = run("typed-facts", resource=f"{ID}measure/saxony-strategiewerkstatt")
    durations = [r for r in rows if r["property"].endswith("#durationYears")]
    assert durations and {r["value"] for r in durations} == {"3"}
    assert all("three-year" in r["quote"] for r in durations)


def test_partners_of_step_three_and_analyses_of_the_diagnostic() -> None:
    # "the right partners (companies, cluster organisations, research organisations or public
    # authorities)"; "identified in SWOT and PEST analyses and the impact of global megatrends"
    steps = {r["step"]: r for r in run("transition-steps")}
    partners = steps[f"{ID}step/coordinating"]["partnerTypes"].split(", ")
    assert len(partners) == 4 and any(p.startswith("Public authorities") for p in partners)
    phases = {r["phase"]: r for r in run("journey-phases")}
    analyses = phases[f"{ID}phase/diagnostic"]["analyses"]
    assert "SWOT" in analyses and "PEST" in analyses and "megatrends" in analyses
    facts = run("typed-facts")  # default: step 3
    assert {r["valueLabel"] for r in facts} >= {"Companies (partner type)"}


def test_cluster_organisation_facts_of_cantabria_slovenia_piemonte() -> None:
    rows = {r["regionLabel"]: r for r in run("cluster-organisation-facts")}
    # "cluster organisations in Cantabria are still in a developing stage and their services
    # consist mainly of attending fairs and events, networking, and fostering synergies"
    assert rows["Cantabria"]["stageLabel"] == "Still in a developing stage"
    assert len(rows["Cantabria"]["services"].split(", ")) == 3
    # footnote 5: "the S3 and SRIP cluster organisations are national and at implementation phase"
    assert rows["Slovenia"]["levelLabel"].startswith("National")
    assert rows["Slovenia"]["stageLabel"] == "At implementation phase"
    # "Cluster organisations in Piemonte were set up by the region a decade ago"
    assert rows["Piemonte"]["yearsBeforeReport"] == "10"
    assert rows["Piemonte"]["setUpBy"] == f"{ID}region/piemonte"


def test_service_frequency_topics_components_and_events() -> None:
    rows = {r["service"]: r for r in run("service-details")}
    panorama = rows[f"{ID}service/european-panorama-of-clusters-and-industrial-change"]
    assert panorama["frequencyLabel"] == "Bi-annual"
    # "investigates the linkages between clusters and industrial change, entrepreneurship,
    # growth, innovation, internationalisation and economic development"
    assert len(panorama["topics"].split(", ")) == 6
    advice = rows[f"{ID}service/customised-advisory-support"]
    assert len(advice["components"].split(", ")) == 4
    assert advice["activityLabel"].startswith("EOCIC customised advice")
    dialogue = rows[f"{ID}service/policy-dialogue-events"]
    assert "European Cluster Policy Forum" in dialogue["eventSeries"]


def test_incremental_change_is_more_likely_to_succeed() -> None:
    rows = run("typed-facts", resource=f"{ID}change-approach/incremental")
    assert {(r["property"].split("#")[1], r.get("valueLabel")) for r in rows} >= {
        ("moreLikelyToSucceedThan", "Radical change")
    }
