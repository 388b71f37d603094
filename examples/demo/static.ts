// The stylesheet and the one script (the copy button), served from their own
// URLs so the Content-Security-Policy can forbid inline code.

export const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dee8; --accent: #2457c5; --bad: #b3261e; --good: #1e7b34; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f3f5f9; }
header { background: #1d2330; color: #fff; padding: .6rem 1.2rem; display: flex; align-items: center; gap: 1rem; }
header .brand { font-weight: 600; color: #fff; text-decoration: none; }
header nav { margin-left: auto; display: flex; gap: .8rem; align-items: center; }
header nav a { color: #cfd8ea; }
header form { margin: 0; }
header button { background: transparent; border: 1px solid #8b95aa; color: #fff; padding: .2rem .7rem; }
main { max-width: 40rem; margin: 2rem auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.5rem 2rem 2rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
label { display: block; font-weight: 600; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; padding: .5rem .6rem; font: inherit; border: 1px solid #b8c0cf; border-radius: 4px; }
input.code { font: 1.4rem/1 ui-monospace, Menlo, Consolas, monospace; letter-spacing: .2em; width: 11rem; }
button, .button { display: inline-block; font: inherit; padding: .5rem 1.1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; gap: .8rem; flex-wrap: wrap; align-items: center; margin-top: 1.2rem; }
.actions form { margin: 0; }
.error { background: #fdecea; border: 1px solid #f3b8b3; color: var(--bad); padding: .6rem .8rem; border-radius: 4px; }
.notice { background: #e8f4ea; border: 1px solid #b5dcbd; color: var(--good); padding: .6rem .8rem; border-radius: 4px; }
.muted { color: var(--muted); font-size: .9rem; }
.qr { width: 13rem; height: 13rem; margin: .5rem 0; }
.qr svg { width: 100%; height: 100%; }
details { margin: .5rem 0 1rem; }
summary { color: var(--accent); cursor: pointer; }
.key { font: 1.2rem ui-monospace, Menlo, Consolas, monospace; background: #f3f5f9; padding: .3rem .6rem; border-radius: 4px; word-break: break-all; }
ol.codes { columns: 2; column-gap: 1.5rem; font: .84rem/1.8 ui-monospace, Menlo, Consolas, monospace; padding: .5rem 1rem; white-space: nowrap; list-style-position: inside; background: #f3f5f9; border-radius: 4px; }
td code, .nowrap { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .95rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .5rem 1rem; }
fieldset label { font-weight: normal; margin: .3rem 0; }
.steps { padding-left: 1.2rem; }
`;
