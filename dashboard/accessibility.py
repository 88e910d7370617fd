"""The accessibility statement (tillgänglighetsredogörelse) that DOS-lagen requires, at /tillganglighet.

What is known not to comply is stated plainly; update it when that changes (the axe-core browser
tests in tests/test_accessibility.py check WCAG 2.1 A and AA rules on every page and embed).
"""
from __future__ import annotations

from html import escape

STATEMENT = [
    ("h1", "Tillgänglighetsredogörelse"),
    ("p", "Malmö stad står bakom den här webbplatsen, verktyget \u201dVar behövs insatserna mest?\u201d. Vi vill att så många som "
          "möjligt ska kunna använda den. Här beskriver vi hur den uppfyller lagen om tillgänglighet till digital offentlig "
          "service (DOS-lagen), kända brister och hur du kan rapportera problem så att vi kan åtgärda dem."),
    ("h2", "Hur tillgänglig är webbplatsen?"),
    ("p", "Webbplatsen är delvis förenlig med lagen om tillgänglighet till digital offentlig service, på grund av de brister "
          "som beskrivs nedan. Kraven är de i WCAG 2.1 nivå AA, genom standarden EN 301 549."),
    ("h2", "Innehåll som inte är tillgängligt"),
    ("ul", [
        "Kartan är en bild av områdena: den går inte att läsa med skärmläsare. Samma uppgifter finns i tabellen "
        "Rangordning, som går att nå med tangentbordet och sortera, och i områdeskortet.",
        "Områdena på kartan kan inte väljas med tangentbordet direkt på kartan; välj dem i tabellen eller med sökrutan.",
        "UVAS-diagrammet är ritat som en bild; värdena finns för varje område i områdeskortet och för klustren i "
        "nedladdningen. En tabellvy av diagrammet saknas än så länge.",
        "Talfält i webbläsaren (metodinställningarna) visar decimalpunkt i stället för decimalkomma i vissa webbläsare.",
    ]),
    ("h2", "Hur vi har testat webbplatsen"),
    ("p", "Varje version testas automatiskt med axe-core (reglerna för WCAG 2.0 och 2.1, nivå A och AA) på startsidan, med "
          "områdeskortet öppet, på GeSO-nivå, på engelska och på alla inbäddningsbara vyer. Färgerna på kartan är valda "
          "så att de går att skilja åt även vid färgblindhet (ColorBrewer YlOrRd), och klustren och det valda området "
          "markeras med olika linjer, inte bara med färg."),
    ("h2", "Rapportera brister"),
    ("p", "Om du upptäcker problem som inte beskrivs här, eller om du behöver innehållet i en annan form, kontakta "
          "Stadskontoret, Malmö stad (malmo.se/kontakt). Om du inte är nöjd med hur vi hanterar dina synpunkter kan du "
          "kontakta Myndigheten för digital förvaltning (Digg), som är tillsynsmyndighet."),
    ("p", "Redogörelsen uppdaterades den 23 november 2026."),
]


def statement_page(urls) -> str:
    parts = []
    for tag, content in STATEMENT:
        if tag == "ul":
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in content) + "</ul>")
        else:
            parts.append(f"<{tag}>{escape(content)}</{tag}>")
    return ("<!doctype html><html lang='sv'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Tillgänglighetsredogörelse – Var behövs insatserna mest?</title>"
            f"<link rel='stylesheet' href='{urls.page('assets/style.css')}'></head>"
            f"<body class='statement'><main>{''.join(parts)}<p><a href='{urls.page()}'>Till verktyget</a></p></main></body></html>")
