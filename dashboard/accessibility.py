"""The accessibility statement (tillgänglighetsredogörelse) that DOS-lagen requires, at /tillganglighet.

In Swedish and English (?lang=en), following DIGG's model: how accessible the service is, what is known not to
comply (each shortcoming with the success criteria it fails and the date it is to be fixed), how to
get content in another form and report a problem (an address and a response time), the supervisory
authority's complaint form, and when and how the service was assessed.

What is known not to comply is stated plainly; update it when that changes. The browser tests that
back the assessment are named in it (tests/test_accessibility.py, tests/test_keyboard.py,
tests/test_exports.py).
"""
from __future__ import annotations

import os
from html import escape

from layers.output.texts import t

ASSESSED = "2026-12-01"  # the last self-assessment
DIGG_COMPLAINT = "https://www.digg.se/tdosanmalan"  # DIGG's form for reporting a lack of accessibility
# Who answers: the publisher sets these (deploy/), the defaults are Malmö stad's own contact centre.
CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_EMAIL", "malmo.stad@malmo.se")
CONTACT_PHONE = os.environ.get("ACCESSIBILITY_PHONE", "040-34 10 00")
RESPONSE_DAYS = 5

# (what does not comply, the success criteria, the date it is to be fixed by)
SHORTCOMINGS = {
    "sv": [
        ("Kartan är en bild av områdena. Med tangentbordet går det att gå igenom områdena i kartan med piltangenterna "
         "(namn, index och klass läses upp), men formen och grannskapet syns bara på bilden. Samma uppgifter finns i "
         "tabellen Rangordning och i områdeskortet.", "1.1.1", "2027-06-30"),
        ("Diagrammens tabellvy visar värdena, men diagrammen själva (plotly) går inte att utforska punkt för punkt med "
         "skärmläsare.", "1.1.1", "2027-06-30"),
        ("Talfälten i metodinställningarna visar decimalpunkt i stället för decimalkomma i vissa webbläsare.",
         "3.1.1", "2027-03-31"),
        ("Ökat textavstånd (radavstånd, ord- och teckenavstånd enligt 1.4.12) är inte provat på alla sidor; kartans "
         "etiketter kan då skymma varandra.", "1.4.12", "2027-03-31"),
    ],
    "en": [
        ("The map is a picture of the areas. From the keyboard, the arrow keys go through the areas on the map (name, "
         "index and class are announced), but their shape and neighbours are only in the picture. The same figures are "
         "in the Ranking table and the area card.", "1.1.1", "2027-06-30"),
        ("The charts' table view gives their values, but the charts themselves (plotly) cannot be explored point by "
         "point with a screen reader.", "1.1.1", "2027-06-30"),
        ("The method settings' number fields show a decimal point instead of a decimal comma in some browsers.",
         "3.1.1", "2027-03-31"),
        ("Increased text spacing (line, word and letter spacing as in 1.4.12) has not been tried on every page; the "
         "map's labels may then cover each other.", "1.4.12", "2027-03-31"),
    ],
}

TEXT = {
    "sv": {
        "title": "Tillgänglighetsredogörelse",
        "intro": "Malmö stad står bakom verktyget \u201dVar behövs insatserna mest?\u201d. Vi vill att så många som möjligt "
                 "ska kunna använda det. Här beskriver vi hur verktyget uppfyller lagen om tillgänglighet till digital "
                 "offentlig service (DOS-lagen), kända brister och hur du kan rapportera problem så att vi kan åtgärda dem.",
        "how_h": "Hur tillgängligt är verktyget?",
        "how": "Verktyget är delvis förenligt med lagen om tillgänglighet till digital offentlig service, på grund av de "
               "brister som beskrivs nedan. Kraven är de i WCAG 2.1 nivå AA, genom standarden EN 301 549.",
        "other_h": "Om du inte kan använda delar av verktyget",
        "other": "Behöver du innehållet i en annan form, till exempel rangordningen som en tabell i ett dokument, kan du "
                 "ladda ner den som CSV, Excel eller som en taggad PDF-rapport under Exportera. Du kan också kontakta oss:",
        "report_h": "Rapportera brister",
        "report": "Vi strävar hela tiden efter att förbättra tillgängligheten. Om du upptäcker problem som inte beskrivs "
                  "här, eller om du anser att vi inte uppfyller lagens krav, kontakta oss så att vi får veta att problemet "
                  "finns. Vi svarar inom {days} arbetsdagar.",
        "email": "E-post", "phone": "Telefon",
        "digg_h": "Tillsyn",
        "digg": "Myndigheten för digital förvaltning (Digg) ansvarar för tillsynen över lagen. Om du inte är nöjd med hur "
                "vi hanterar dina synpunkter kan du",
        "digg_link": "anmäla det till Digg",
        "bad_h": "Innehåll som inte är tillgängligt",
        "bad": "Det här är de brister vi känner till. För varje brist står vilket kriterium i WCAG 2.1 den inte uppfyller "
               "och när vi ska ha åtgärdat den.",
        "criterion": "WCAG 2.1: {c}", "fixed_by": "åtgärdas senast {date}",
        "tested_h": "Hur vi har testat verktyget",
        "tested": "Vi har gjort en självskattning (intern testning) av verktyget, senast den {date}. Varje version testas "
                  "automatiskt i webbläsaren Chromium: axe-core (reglerna för WCAG 2.0 och 2.1, nivå A och AA) på alla "
                  "sidor och lägen, även när serverns svar dröjer; att kartan, rangordningen, sökningen, reglagen och "
                  "presentationsläget går att använda med enbart tangentbord, att fokus syns (3:1) och inte tappas; sidornas titlar på båda språken; att ingen sida blir bredare "
                  "än 320 px; kontrasten i kartans gränser, linjer och reglage (3:1); att diagram och kartlägen har en "
                  "tabellvy; att PDF-rapporten är taggad och har språk; och att rangordningens förändring sägs en gång "
                  "per ändring. Kartans och diagrammens färger skiljer sig också i ljushet, linjemönster och markörer.",
        "updated": "Redogörelsen uppdaterades den {date}.",
        "back": "Till verktyget", "other_lang": "In English", "other_lang_code": "en",
    },
    "en": {
        "title": "Accessibility statement",
        "intro": "Malmö stad (the City of Malmö) is responsible for the tool \u201cWhere are the efforts needed most?\u201d. We "
                 "want as many people as possible to be able to use it. This statement describes how the tool complies "
                 "with the Swedish Act on accessibility to digital public services (DOS-lagen), its known shortcomings, "
                 "and how to report problems so that we can fix them.",
        "how_h": "How accessible is the tool?",
        "how": "The tool is partially compliant with the Act on accessibility to digital public services, because of the "
               "shortcomings described below. The requirements are those of WCAG 2.1 level AA, through EN 301 549.",
        "other_h": "If you cannot use parts of the tool",
        "other": "If you need the content in another form, for example the ranking as a table in a document, you can "
                 "download it as CSV, Excel or a tagged PDF report under Export. You can also contact us:",
        "report_h": "Report a problem",
        "report": "We keep working to improve accessibility. If you find problems that are not described here, or think "
                  "that we do not meet the requirements of the Act, contact us so that we know about the problem. We "
                  "answer within {days} working days.",
        "email": "Email", "phone": "Phone",
        "digg_h": "Enforcement",
        "digg": "The Agency for Digital Government (Digg) is responsible for enforcing the Act. If you are not satisfied "
                "with how we handle your comments, you can",
        "digg_link": "report it to Digg",
        "bad_h": "Content that is not accessible",
        "bad": "These are the shortcomings we know of. Each names the WCAG 2.1 success criterion it fails and the date "
               "by which we will have fixed it.",
        "criterion": "WCAG 2.1: {c}", "fixed_by": "to be fixed by {date}",
        "tested_h": "How we tested the tool",
        "tested": "We made a self-assessment (internal testing) of the tool, last on {date}. Every version is tested "
                  "automatically in the Chromium browser: axe-core (the WCAG 2.0 and 2.1 rules, levels A and AA) on "
                  "every page and mode, also while the server's answer is late; that the map, the ranking, the search, "
                  "the sliders and presentation mode work from the keyboard alone, with focus visible (3:1) and never lost; the pages' titles in both languages; "
                  "that no page is wider than 320 px; the contrast of the map's borders, lines and sliders (3:1); that "
                  "the charts and map modes have a table view; that the PDF report is tagged and has a language; and "
                  "that the ranking's change is announced once per change. The map's and the charts' colours also differ "
                  "in lightness, line pattern and markers.",
        "updated": "This statement was updated on {date}.",
        "back": "Back to the tool", "other_lang": "På svenska", "other_lang_code": "sv",
    },
}


def statement_page(urls, lang: str = "sv", place: str = "Malmö") -> str:
    lang = lang if lang in TEXT else "sv"
    x = TEXT[lang]

    def e(s) -> str:
        return escape(str(s), quote=True)

    items = "".join(f"<li>{e(what)} <span class='criterion'>({e(x['criterion'].format(c=c))}; "
                    f"{e(x['fixed_by'].format(date=date))})</span></li>" for what, c, date in SHORTCOMINGS[lang])
    tel = "".join(ch for ch in CONTACT_PHONE if ch.isdigit() or ch == "+")
    other = x["other_lang_code"]
    body = (f"<h1>{e(x['title'])}</h1><p>{e(x['intro'])}</p>"
            f"<h2>{e(x['how_h'])}</h2><p>{e(x['how'])}</p>"
            f"<h2>{e(x['bad_h'])}</h2><p>{e(x['bad'])}</p><ul>{items}</ul>"
            f"<h2>{e(x['other_h'])}</h2><p>{e(x['other'])}</p>"
            f"<ul><li>{e(x['email'])}: <a href='mailto:{e(CONTACT_EMAIL)}'>{e(CONTACT_EMAIL)}</a></li>"
            f"<li>{e(x['phone'])}: <a href='tel:{e(tel)}'>{e(CONTACT_PHONE)}</a></li></ul>"
            f"<h2>{e(x['report_h'])}</h2><p>{e(x['report'].format(days=RESPONSE_DAYS))}</p>"
            f"<h2>{e(x['digg_h'])}</h2><p>{e(x['digg'])} <a href='{DIGG_COMPLAINT}'>{e(x['digg_link'])}</a>.</p>"
            f"<h2>{e(x['tested_h'])}</h2><p>{e(x['tested'].format(date=ASSESSED))}</p>"
            f"<p>{e(x['updated'].format(date=ASSESSED))}</p>"
            f"<p><a href='{e(urls.page() + ('?lang=en' if lang == 'en' else ''))}'>{e(x['back'])}</a> · "
            f"<a href='{e(urls.page('tillganglighet') + ('?lang=en' if other == 'en' else ''))}' lang='{other}' "
            f"hreflang='{other}'>{e(x['other_lang'])}</a></p>")
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{e(x['title'])} – {e(t(lang, 'page_title', place=place))}</title>"
            f"<link rel='stylesheet' href='{urls.page('assets/style.css')}'></head>"
            f"<body class='statement'><main>{body}</main></body></html>")
