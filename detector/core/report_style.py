"""The HTML report's stylesheet, inline in the page: the system's own fonts, nothing fetched."""

from __future__ import annotations

STYLE = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;
--sigv2:#c62828;--tls:#ad5b00;--outdated:#4a5bb5;--new:#0b7a53}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1320px;margin:0 auto;padding:28px 32px 40px}
header h1{margin:0;font-size:24px;letter-spacing:-.01em}
.sub{margin:2px 0 16px;color:var(--muted)}
h2{font-size:17px;margin:0 0 12px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:18px 0;
overflow-x:auto}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 16px;min-width:112px;
border-top:3px solid var(--muted)}
.card .count{display:block;font-size:24px;font-weight:650}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.reason-sigv2{border-top-color:var(--sigv2)}.card.reason-legacy_tls{border-top-color:var(--tls)}
.card.reason-outdated_sdk{border-top-color:var(--outdated)}.card.new{border-top-color:var(--new)}
.note{background:#fff8e1;border:1px solid #f0d58a;border-radius:8px;padding:8px 12px;margin:12px 0}
.hint,.empty{color:var(--muted);margin:0 0 10px}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:8px;vertical-align:top}
tbody tr:hover{background:#fafbfc}
.arn,.agent,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.agent,.of{color:var(--muted);font-size:12px}
.num{font-variant-numeric:tabular-nums;font-weight:600}
table.findings{table-layout:fixed}table.findings td{overflow-wrap:anywhere}
.col-swatch{width:22px}.col-status{width:78px}.col-reasons{width:112px}.col-principal{width:200px}
.col-source{width:116px}.col-client{width:230px}.col-requests{width:92px}.col-first-last-seen{width:172px}.seen{white-space:nowrap;font-variant-numeric:tabular-nums;font-size:12px}
table.buckets .arn{display:inline-block;min-width:120px}
.badge{display:inline-block;border-radius:999px;padding:1px 8px;margin:0 4px 3px 0;font-size:11px;font-weight:600;
color:#fff;background:var(--muted);white-space:nowrap}
.badge.reason-sigv2{background:var(--sigv2)}.badge.reason-legacy_tls{background:var(--tls)}
.badge.reason-outdated_sdk{background:var(--outdated)}
.status{font-size:11px;font-weight:700;text-transform:uppercase;color:var(--muted)}
.status.new{color:var(--new)}
details summary{cursor:pointer;color:var(--new);font-weight:600}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px;margin:6px 0 0;
white-space:pre;max-width:460px;overflow-x:auto}
ul.plain{margin:0;padding-left:18px}ul.plain li{margin:4px 0}
.chart .panels{display:flex;flex-wrap:wrap;gap:14px}
.panel{width:380px;max-width:100%;height:auto;background:#fff}
.panel .grid{stroke:var(--line)}.panel .tick{fill:var(--muted);font-size:10px}
.panel .panel-title{fill:var(--ink);font-size:12px;font-weight:600}
.panel polyline{fill:none;stroke:currentColor;stroke-width:2}.panel circle{fill:currentColor}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:12px 0 0;font-size:12px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
"""
