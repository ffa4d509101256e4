// The SPARQL editor of the query page: CodeMirror 6 with the SPARQL mode of
// @codemirror/legacy-modes, bracket matching, and completion by position of the predeclared
// prefixes, SPARQL keywords and the terms of our graph (with their labels): a prefix
// declaration after PREFIX, a class after `a` or rdf:type, a property in a triple pattern's
// predicate position, anything elsewhere.
// Bundled by build.mjs into src/eocic_kg/web/static/vendor/codemirror/editor.js, which
// defines window.EOCICEditor.create(parent, options).
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection, Decoration,
  highlightSpecialChars, placeholder } from "@codemirror/view";
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching,
  indentOnInput } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";

const KEYWORDS = ("SELECT DISTINCT WHERE FILTER OPTIONAL UNION MINUS GRAPH BIND VALUES GROUP BY " +
  "ORDER ASC DESC LIMIT OFFSET HAVING COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT CONSTRUCT " +
  "DESCRIBE ASK FROM NAMED PREFIX BASE NOT EXISTS IN AS STR LANG LANGMATCHES REGEX CONTAINS " +
  "STRSTARTS LCASE UCASE IRI isIRI isLiteral BOUND COALESCE IF").split(" ");

// A line decoration for the line a parse error points at.
const setError = StateEffect.define();
const errorLine = Decoration.line({ class: "cm-error-line" });
const errorField = StateField.define({
  create: () => Decoration.none,
  update(value, tr) {
    value = value.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setError)) {
        value = effect.value === null ? Decoration.none
          : Decoration.set([errorLine.range(effect.value)]);
      }
    }
    return tr.docChanged ? Decoration.none : value;
  },
  provide: (field) => EditorView.decorations.from(field),
});

// The tokens of SPARQL text: IRIs, literals, variables, names, punctuation (no comments).
const TOKEN = new RegExp([
  /<[^<>"{}|^`\\\s]*>/, /"(?:[^"\\\n]|\\.)*"/, /'(?:[^'\\\n]|\\.)*'/, /#[^\n]*/, /[?$]\w+/,
  /[A-Za-z_][\w.-]*:[\w.-]*|:[\w.-]*/, /[A-Za-z_]\w*/, /\d[\d.]*(?:[eE][+-]?\d+)?/, /\^\^/, /\S/,
].map((r) => r.source).join("|"), "g");

// What may stand where a word starts after the text `before`: "prefix" (a prefix declaration,
// after PREFIX), "class" (after `a` or rdf:type), "property" (the predicate of a triple pattern:
// its second term, or after `;`, `[` or a path's `/`, `|`, `^`), else "any".
function position(before) {
  const tokens = (before.slice(-2000).match(TOKEN) || []).filter((t) => !t.startsWith("#"));
  const last = tokens[tokens.length - 1];
  if (/^prefix$/i.test(last || "")) return "prefix";
  if (last === "a" || last === "rdf:type") return "class";
  let terms = 0; // terms of the pattern before the word
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t === "{" || t === "}" || t === ".") return terms === 1 ? "property" : "any";
    if (t === ";" || t === "[" || t === "/" || t === "|" || t === "^") {
      return terms === 0 ? "property" : "any";
    }
    if (!/^(?:[?$<"'\d]|[A-Za-z_][\w.-]*:|:)/.test(t) && t !== "a") return "any";
    terms += 1;
  }
  return "any";
}

function completionSource(vocabulary) {
  const prefixes = Object.entries(vocabulary.prefixes || {}).map(([name, iri]) => ({
    label: name + ":", type: "namespace", detail: iri, boost: 2,
  }));
  const declarations = Object.entries(vocabulary.prefixes || {}).map(([name, iri]) => ({
    label: name + ":", type: "namespace", detail: iri, apply: name + ": <" + iri + ">",
  }));
  const terms = (vocabulary.terms || []).map((t) => ({
    label: t.name, type: t.kind === "class" ? "class" : t.kind === "property" ? "property" : "constant",
    detail: t.label || "", info: t.definition || undefined,
    boost: t.kind === "class" || t.kind === "property" ? 1 : 0,
  }));
  const keywords = KEYWORDS.map((k) => ({ label: k, type: "keyword", boost: 0 }));
  const typeKeyword = { label: "a", type: "keyword", detail: "rdf:type", boost: 3 };
  const fitting = {
    class: terms.filter((t) => t.type === "class"),
    property: terms.filter((t) => t.type === "property"),
    any: terms,
  };
  // a list made before a prefix's colon is typed is asked again after it (for that prefix)
  const validFor = /^[\w.-]*$/;
  const validForPrefixed = /^[\w.-]*:[\w.-]*$/;
  return (context) => {
    const word = context.matchBefore(/[A-Za-z_][\w.-]*:?[\w.-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const where = position(context.state.sliceDoc(0, word.from));
    if (where === "prefix") {
      return { from: word.from, options: declarations, validFor: /^[\w.-]*:?[\w.-]*$/ };
    }
    const text = word.text;
    const candidates = fitting[where];
    if (text.includes(":")) {
      const prefix = text.slice(0, text.indexOf(":") + 1);
      return { from: word.from, options: candidates.filter((t) => t.label.startsWith(prefix)),
        validFor: validForPrefixed };
    }
    const others = where === "any" ? keywords : where === "property" ? [typeKeyword] : [];
    return { from: word.from, options: [...prefixes, ...candidates, ...others], validFor };
  };
}

// Styles: CodeMirror injects its styles with style-mod, which writes a <style> element into a
// document (refused by the page's Content-Security-Policy) but uses a constructed style sheet
// in a shadow root. So the editor lives in a shadow root of `parent`, styled by this theme.
const theme = EditorView.theme({
  "&": { minHeight: "14rem", maxHeight: "70vh", fontSize: "0.9rem", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "2px solid #58a" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", minHeight: "14rem" },
  ".cm-error-line": { backgroundColor: "#fde2e2" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { backgroundColor: "#d7e7f7", color: "#000" },
  ".cm-completionDetail": { color: "#555", fontStyle: "normal", marginLeft: "0.75em" },
  "@media (max-width: 40rem)": { "&": { minHeight: "10rem", fontSize: "0.85rem" } },
});

function create(parent, options) {
  const vocabulary = options.vocabulary || {};
  const shadow = parent.attachShadow({ mode: "open" });
  const mount = document.createElement("div");
  shadow.appendChild(mount);
  const view = new EditorView({
    parent: mount,
    root: shadow,
    state: EditorState.create({
      doc: options.doc || "",
      extensions: [
        lineNumbers(), highlightSpecialChars(), history(), drawSelection(),
        indentOnInput(), bracketMatching(), closeBrackets(), highlightActiveLine(),
        highlightSelectionMatches(), StreamLanguage.define(sparql),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [completionSource(vocabulary)], activateOnTyping: true }),
        placeholder("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"),
        errorField, EditorView.lineWrapping, theme,
        EditorView.contentAttributes.of({ "aria-label": "SPARQL query", spellcheck: "false" }),
        keymap.of([
          { key: "Mod-Enter", run: () => { if (options.onRun) options.onRun(); return true; } },
          ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap,
          ...completionKeymap, indentWithTab,
        ]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && options.onChange) options.onChange();
        }),
      ],
    }),
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    markError(line) {
      const doc = view.state.doc;
      if (!line || line < 1 || line > doc.lines) return;
      const from = doc.line(line).from;
      view.dispatch({ effects: setError.of(from), selection: { anchor: from },
        scrollIntoView: true });
    },
    clearError() { view.dispatch({ effects: setError.of(null) }); },
    // Put `text` in place of the selection (at the cursor), the cursor after it.
    insert(text) {
      view.dispatch(view.state.replaceSelection(text), { scrollIntoView: true });
      view.focus();
    },
    focus() { view.focus(); },
  };
}

window.EOCICEditor = { create };
