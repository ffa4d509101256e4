// Bundle the editor (src/editor.js and the CodeMirror packages it imports) into the package's
// static files, with the licences of every bundled package. Run: npm ci && npm run build
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "eocic_kg", "web", "static", "vendor", "codemirror");
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(here, "src", "editor.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(out, "editor.js"),
  metafile: true,
  legalComments: "none",
  logLevel: "info",
});

// The packages whose code is in the bundle, and their licences.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [];
for (const name of [...packages].sort()) {
  const dir = join(here, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`no licence file in ${name}`);
  sections.push(`${name} ${meta.version} (${meta.license})\n\n` +
    readFileSync(join(dir, file), "utf8").trim());
}
writeFileSync(join(out, "LICENSES.txt"),
  "The file editor.js bundles these packages (built by frontend/build.mjs):\n\n" +
  sections.join("\n\n" + "-".repeat(72) + "\n\n") + "\n");
console.log(`bundled ${packages.size} packages: ${[...packages].sort().join(", ")}`);
