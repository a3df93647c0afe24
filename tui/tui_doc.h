/* tui/tui_doc.h — the findings' full explanations (docs/findings.md, embedded
 * at build time by scripts/embed_findings.py). */
#ifndef MXSCOPE_TUI_DOC_H
#define MXSCOPE_TUI_DOC_H

/* The whole of docs/findings.md. */
extern const char tui_findings_md[];

/* The section "## code" of docs/findings.md, heading included, up to the next
 * "## " heading, with trailing blank lines dropped; NULL when there is none
 * or out of memory. Owned by the caller. */
char *tui_doc_finding(const char *code);

#endif
