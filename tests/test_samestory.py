"""The rules-based same-story method (watchbot.samestory): signatures, the decision, the
labelled sets, and the index of recent alerts."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchbot.samestory.index import RelatedIndex
from watchbot.samestory.rules import GUARDS, conflict, same_story
from watchbot.samestory.signature import signature, signature_from_json, signature_to_json

LABELLED = Path(__file__).parent / "data" / "same_story.jsonl"
# written by someone who never saw the code; used to measure, not to tune word by word
DATA = Path(__file__).parent / "data"
HELDOUT = DATA / "same_story_heldout.jsonl"
T0 = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


# --- signatures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "numbers"),
    [
        pytest.param("Mexico sends 37 cartel members to US", {"37"}, id="digits"),
        pytest.param("Border arrests fall to 1,200 in March", {"1200", "@m03"}, id="thousands"),
        pytest.param("Detienen a 1.200 migrantes", {"1200"}, id="thousands-es"),
        pytest.param("Mexican navy seizes 1.5 tons of cocaine", {"1500kg"}, id="decimal-tons"),
        pytest.param("Agentes hallan 1.5 millones de pesos", {"1500000mxn"}, id="decimal-scale"),
        pytest.param("Exports rose 1.5 points", {"1.5"}, id="decimal"),
        pytest.param("Trump threatens 30% tariff", {"30%"}, id="percent"),
        pytest.param("Arancel de 30 por ciento", {"30%"}, id="percent-es"),
        pytest.param("Twenty-nine cartel members sent to US", {"29"}, id="spelled-en"),
        pytest.param("México envía a veintinueve narcos", {"29"}, id="spelled-es"),
        pytest.param("Treinta y siete reos enviados", {"37"}, id="spelled-es-tens"),
        pytest.param("Sheinbaum will send 10 mil troops", {"10000"}, id="mil"),
        pytest.param("Sheinbaum and Trump to meet on Friday", {"@fri"}, id="weekday"),
        pytest.param("Sheinbaum y Trump se reunirán el viernes", {"@fri"}, id="weekday-es"),
        pytest.param("Detenciones caen a 7 mil 181", {"7181"}, id="mil-and-units"),
        pytest.param("Llegan 2 mil 300 deportados", {"2300"}, id="mil-and-hundreds"),
        pytest.param("Demanda de 10 mil millones", {"10"}, id="mil-millones"),
        pytest.param("Apprehensions fall to 7,181", {"7181"}, id="thousands-comma"),
        pytest.param("Banxico lowers rate to 8.00%", {"8%"}, id="percent-decimals"),
        pytest.param("Banxico cuts rate by 50 basis points", {"0.5pp"}, id="basis-points"),
        pytest.param("Banxico recorta tasa en 50 puntos base", {"0.5pp"}, id="puntos-base"),
        pytest.param("Banxico cuts rate by half a point", {"0.5pp"}, id="half-point"),
        pytest.param("Banxico trims by a quarter-point", {"0.25pp"}, id="quarter-point"),
        pytest.param("Banxico recorta medio punto", {"0.5pp"}, id="medio-punto"),
        pytest.param("Rate cut of 0.25 percentage points", {"0.25pp"}, id="percentage-points"),
        pytest.param("Sheinbaum and Trump to meet on Monday", {"@mon"}, id="monday-not-month"),
    ],
)
def test_signature_numbers(title: str, numbers: set[str]) -> None:
    assert signature(title, "").title_numbers == numbers


@pytest.mark.parametrize(
    ("title", "text", "names"),
    [
        pytest.param(
            "US charges Inzunza with narco-terrorism", "", {"us", "inzunza"}, id="acronym-and-name"
        ),
        pytest.param("México envía 37 miembros de cárteles a EU", "", {"mexico", "us"}, id="eu-es"),
        pytest.param("EU tariffs on steel", "The bloc will act.", {"europe"}, id="eu-en"),
        pytest.param("Estados Unidos acusa a Zambada", "", {"us", "zambada"}, id="phrase"),
        pytest.param(
            "Hurricane Erick Strengthens Off Mexico's Pacific Coast",
            "Erick was moving parallel to the coast.",
            {"erick", "mexico"},  # not "Hurricane", "Strengthens", "Pacific", "Coast"
            id="title-case",
        ),
    ],
)
def test_signature_names(title: str, text: str, names: set[str]) -> None:
    assert signature(title, text).title_names == names


@pytest.mark.parametrize(
    ("title", "text", "places", "orgs"),
    [
        pytest.param(
            "Explosion at refinery in Salina Cruz", "", {"salina", "cruz"}, set(), id="in-town"
        ),
        pytest.param(
            "Two migrants drown near Piedras Negras",
            "",
            {"piedra", "negra"},
            set(),
            id="near-two-words",
        ),
        pytest.param("Hallan fosa cerca de Culiacán", "", {"culiacan"}, set(), id="cerca-de"),
        pytest.param("CBP seizes pills at the Pentagon", "", set(), {"cbp", "pentagon"}, id="orgs"),
        pytest.param("Trump meets Carlos Manzo", "", set(), set(), id="people"),
        pytest.param("Trump sends troops to Mexico", "", {"mexico"}, set(), id="country"),
    ],
)
def test_signature_name_kinds(title: str, text: str, places: set[str], orgs: set[str]) -> None:
    sig = signature(title, text)
    assert sig.places == places
    assert sig.orgs == orgs


@pytest.mark.parametrize(
    ("title", "kinds"),
    [
        pytest.param("20 bodies found, four hanging", {"20|body", "20|find", "4|hang"}, id="en"),
        pytest.param(
            "Mexico sends 26 more cartel members", {"26|cartel", "26|member"}, id="filler"
        ),
        pytest.param("Trump threatens 30% tariff", {"30%|tariff"}, id="percent"),
    ],
)
def test_signature_number_kinds(title: str, kinds: set[str]) -> None:
    assert signature(title, "").title_kinds == kinds


def test_signature_json_round_trip() -> None:
    sig = signature(
        "México envía 37 miembros de cárteles a EU",
        "El gobierno de Claudia Sheinbaum trasladó a 37 presuntos integrantes el martes.",
    )
    text = signature_to_json(sig)
    assert signature_from_json(text) == sig
    assert signature_to_json(signature_from_json(text)) == text


def test_signature_from_json_reads_version_1() -> None:
    """Signatures stored before names had kinds load, with every name a person."""
    v1 = (
        '{"v":1,"title":["37","cartel","member","mexico","transfer","us"],'
        '"body":["cartel","member","mexico","transfer","us"],"title_names":["mexico","us"],'
        '"names":["mexico","us"],"title_numbers":["37"],"numbers":["37"]}'
    )
    sig = signature_from_json(v1)
    assert sig.title_numbers == {"37"}
    assert sig.places == sig.orgs == sig.title_kinds == frozenset()
    assert same_story(sig, signature("México envía 37 miembros de cárteles a EU", ""))
    assert not same_story(sig, signature("México envía 26 miembros de cárteles a EU", ""))
    assert signature_to_json(sig).startswith('{"v":2,')


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"v": 2}',
        '{"v": 3}',
        '{"v": 1, "title": []}',
        '{"v": 1, "title": [1]}',
        '{"v": 2, "title": [], "body": [], "title_names": [], "names": [], "title_numbers": [],'
        ' "numbers": []}',
    ],
)
def test_signature_from_json_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        signature_from_json(text)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param(
            ("Mexico sends 37 cartel members to the US", ""),
            ("México envía 37 miembros de cárteles a EU", ""),
            True,
            id="cross-language",
        ),
        pytest.param(
            ("Mexico sends 29 cartel members to US", ""),
            ("Mexico sends 26 cartel members to US", ""),
            False,
            id="other-number",
        ),
        pytest.param(
            ("US charges Inzunza with narco-terrorism", ""),
            ("US charges Zambada with narco-terrorism", ""),
            False,
            id="other-person",
        ),
        pytest.param(
            ("Explosion at Pemex refinery in Tula kills 3", ""),
            ("Explosion at Pemex refinery in Salina Cruz kills 3", ""),
            False,
            id="other-place",
        ),
        pytest.param(
            ("2689 migrants detained in Guerrero", "The DEA reported 2689 migrants detained."),
            ("2702 migrants detained in Guerrero", "The DEA reported 2702 migrants detained."),
            False,
            id="close-but-other-count",
        ),
        pytest.param(
            ("1407 migrants detained in Acapulco", "The Sedena reported 1407 migrants detained."),
            ("Ana Veso arrested in Acapulco", "The Sedena said Ana Veso was arrested."),
            False,
            id="number-against-name",
        ),
        pytest.param(
            ("Apple posts $124 billion quarter", "Revenue was $124.3 billion, Apple said."),
            ("Apple quarter revenue hits $124.3 billion", "Apple posted record revenue."),
            True,
            id="rounded-amount",
        ),
        pytest.param(
            ("Sheinbaum and Trump to meet on Friday", ""),
            ("Sheinbaum and Trump to meet on Monday", ""),
            False,
            id="other-day",
        ),
        pytest.param(
            ("Remittances to Mexico fall 3% in July", "Down from a 5% drop in April."),
            ("Remesas a México caen 3% en junio", "En abril habían caído 5%."),
            False,
            id="other-month-in-the-headlines",
        ),
        pytest.param(
            (
                "Hallan 47 cuerpos en fosa clandestina de Tlaquepaque",
                "Colectivos reportaron el hallazgo.",
            ),
            (
                "Searchers find 47 bodies in Tlaquepaque mass grave",
                "Volunteers say it held remains.",
            ),
            True,
            id="shared-figure-and-place-across-languages",
        ),
        pytest.param(
            (
                "Hallan 47 cuerpos en fosa clandestina de Tlaquepaque",
                "Colectivos reportaron el hallazgo.",
            ),
            (
                "Searchers find 52 bodies in Tlaquepaque mass grave",
                "Volunteers say it held remains.",
            ),
            False,
            id="shared-place-other-figure",
        ),
        pytest.param(
            ("Border apprehensions hit record low of 7,181 in March", ""),
            ("Detenciones en la frontera de EU caen a 7 mil 181 en marzo", ""),
            True,
            id="mil-written-count",
        ),
        pytest.param(
            ("Banxico cuts interest rate by half a point to 8%", ""),
            ("Banxico recorta tasa en 50 puntos base; queda en 8.00%", ""),
            True,
            id="half-point-is-50-basis-points",
        ),
        pytest.param(
            ("Banxico cuts rate by 50 basis points to 8%", ""),
            ("Banxico trims rate by 25 basis points to 7.75%", ""),
            False,
            id="other-rate",
        ),
        pytest.param(
            ("20 bodies found in Culiacán, four hanging from a bridge", ""),
            ("Culiacán: localizan 20 cadáveres, cinco decapitados, junto a puente", ""),
            True,
            id="details-of-an-agreed-count",
        ),
        pytest.param(
            ("Hallan 20 cuerpos en Culiacán", ""),
            ("Localizan siete cuerpos en Culiacán", ""),
            False,
            id="other-count",
        ),
        pytest.param(
            ("Trump pauses tariffs after call with Sheinbaum", "The pause lasts a month."),
            ("Pentagon pauses tariffs after call with Mexico", "The pause lasts a month."),
            True,
            id="person-against-body-no-conflict",
        ),
        pytest.param(
            ("Hurricane Erick makes landfall near Pinotepa", "It hit the coast on Thursday."),
            ("Hurricane Erick makes landfall in Oaxaca", "It hit the coast on Thursday."),
            False,
            id="two-places-conflict",
        ),
        pytest.param(
            ("US strike kills 11 on boat from Venezuela", "The boat carried drugs."),
            (
                "Ataque de EU contra lancha en el Caribe deja 11 muertos",
                "La lancha llevaba drogas.",
            ),
            True,
            id="country-against-sea-no-conflict",
        ),
    ],
)
def test_same_story_examples(a: tuple[str, str], b: tuple[str, str], expected: bool) -> None:
    assert same_story(signature(*a), signature(*b)) is expected
    assert same_story(signature(*b), signature(*a)) is expected


# --- the labelled set ----------------------------------------------------------------------------


def load_labelled(path: Path = LABELLED) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_labelled_set_shape() -> None:
    rows = load_labelled()
    groups: dict[str, int] = {}
    for row in rows:
        assert row["lang"] in ("en", "es")
        assert row["title"] and row["summary"]
        groups[row["group"]] = groups.get(row["group"], 0) + 1
    assert sum(2 <= n <= 4 for n in groups.values()) >= 40
    near = {row["group"] for row in rows if "near" in row}
    assert len(near) >= 25
    assert all(row["near"] in groups for row in rows if "near" in row)
    assert {row["lang"] for row in rows} == {"en", "es"}


@pytest.mark.parametrize(
    ("path", "max_near", "max_missed"),
    [
        # the set the rules were tuned on: 0 missed, 0 false merges, 0 near merges
        pytest.param(LABELLED, 0.01, 0.05, id="tuned"),
        # held out, read while tuning: 16/70 missed (22.9%), 3/4,301 false merges, all near
        pytest.param(HELDOUT, 0.05, 0.30, id="heldout"),
        # written blind, never read while tuning: 36/80 missed (45.0%), 2/5,071 false merges
        pytest.param(DATA / "same_story_blind.jsonl", 0.05, 0.50, id="blind"),
        # written blind; only its false merges were looked at (they led to the date rule):
        # 31/77 missed (40.3%), 8/4,676 false merges, all near (10.3%); the eighth came with
        # the Spanish verb forms of arrest and extradition: an arrest headline that names the
        # extradition the US asked for ("Cae 'El Tigre'; EU pedía su extradición") now shares
        # the word with the extradition's ("Extraditan a EU a 'El Tigre'")
        pytest.param(DATA / "same_story_final.jsonl", 0.11, 0.50, id="final"),
    ],
)
def test_labelled_set_figures(path: Path, max_near: float, max_missed: float) -> None:
    rows = load_labelled(path)
    sigs = [signature(row["title"], row["summary"]) for row in rows]
    same_pairs = missed = other_pairs = false_merges = near_pairs = near_merges = 0
    examples: list[str] = []
    for i, j in itertools.combinations(range(len(rows)), 2):
        a, b = rows[i], rows[j]
        judged = same_story(sigs[i], sigs[j])
        assert judged == same_story(sigs[j], sigs[i]), (a["title"], b["title"])
        if a["group"] == b["group"]:
            same_pairs += 1
            if not judged:
                missed += 1
                examples.append(f"missed: {a['title']!r} / {b['title']!r}")
            continue
        other_pairs += 1
        near = a.get("near") == b["group"] or b.get("near") == a["group"]
        near_pairs += near
        if judged:
            false_merges += 1
            near_merges += near
            examples.append(f"merged: {a['title']!r} / {b['title']!r}")
    figures = (
        f"{len(rows)} reports; same-story pairs {same_pairs}, missed {missed} "
        f"({missed / same_pairs:.1%}); different-story pairs {other_pairs}, false merges "
        f"{false_merges} ({false_merges / other_pairs:.2%}); near pairs {near_pairs}, false "
        f"merges {near_merges} ({near_merges / near_pairs:.1%})"
    )
    print(figures, *examples, sep="\n")
    detail = "\n".join([figures, *examples])
    assert false_merges <= 0.01 * other_pairs, detail
    assert near_merges <= max_near * near_pairs, detail
    assert missed <= max_missed * same_pairs, detail


# --- RelatedIndex --------------------------------------------------------------------------------

SENDS_29 = signature(
    "Mexico sends 29 cartel members to US",
    "Mexico transferred 29 prisoners, including Rafael Caro Quintero, to the United States.",
)
SENDS_29_ES = signature(
    "México envía a EU a 29 narcos, entre ellos Caro Quintero",
    "El gabinete de seguridad trasladó a 29 detenidos, entre ellos Rafael Caro Quintero.",
)
SENDS_26 = signature(
    "Mexico sends 26 cartel members to US",
    "Mexico transferred 26 prisoners wanted by US prosecutors.",
)
ZAMBADA = signature(
    "'El Mayo' Zambada pleads guilty in New York",
    "Ismael Zambada García pleaded guilty in a Brooklyn federal court.",
)


def test_related_index_finds_the_same_story() -> None:
    index = RelatedIndex()
    index.add("a1", SENDS_29, T0)
    index.add("a2", SENDS_26, T0)
    index.add("a3", ZAMBADA, T0)
    assert len(index) == 3
    assert index.find(SENDS_29_ES, T0 + timedelta(hours=1), timedelta(hours=72)) == "a1"
    other = signature("Hurricane Erick makes landfall in Oaxaca", "Winds of 205 km/h.")
    assert index.find(other, T0, timedelta(hours=72)) is None


def test_related_index_empty() -> None:
    assert RelatedIndex().find(SENDS_29, T0, timedelta(hours=72)) is None
    assert len(RelatedIndex()) == 0


def test_related_index_earliest_alert_wins() -> None:
    index = RelatedIndex()
    index.add("later", SENDS_29_ES, T0 + timedelta(hours=2))
    index.add("first", SENDS_29, T0)
    assert index.find(SENDS_29, T0 + timedelta(hours=3), timedelta(hours=72)) == "first"


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        pytest.param(timedelta(hours=71), "a1", id="inside"),
        pytest.param(timedelta(hours=72), "a1", id="edge"),
        pytest.param(timedelta(hours=73), None, id="outside"),
    ],
)
def test_related_index_window(age: timedelta, expected: str | None) -> None:
    index = RelatedIndex()
    index.add("a1", SENDS_29, T0)
    assert index.find(SENDS_29_ES, T0 + age, timedelta(hours=72)) == expected


def test_related_index_prune() -> None:
    index = RelatedIndex()
    index.add("old", SENDS_29, T0)
    index.add("new", SENDS_29_ES, T0 + timedelta(hours=10))
    index.add("zambada", ZAMBADA, T0 + timedelta(hours=20))
    index.prune(T0 + timedelta(hours=5))
    assert len(index) == 2
    assert index.find(SENDS_29, T0 + timedelta(hours=21), timedelta(hours=72)) == "new"
    index.prune(T0 + timedelta(days=30))
    assert len(index) == 0
    assert index.find(SENDS_29, T0 + timedelta(days=30), timedelta(hours=72)) is None
    index.prune(T0 + timedelta(days=31))  # nothing left: a no-op


def test_related_index_with_many_unrelated_stories() -> None:
    index = RelatedIndex()
    for n in range(2000):
        sig = signature(
            f"Mexico sends {n + 100} cartel members to US",
            f"Mexico transferred {n + 100} prisoners to the United States.",
        )
        index.add(n, sig, T0 + timedelta(seconds=n))
    index.add("target", SENDS_29, T0 + timedelta(hours=1))
    assert index.find(SENDS_29_ES, T0 + timedelta(hours=2), timedelta(hours=72)) == "target"
    assert index.find(SENDS_26, T0 + timedelta(hours=2), timedelta(hours=72)) is None


@pytest.mark.parametrize(
    ("title", "country"),
    [
        pytest.param(
            "EU ataca otra lancha; habría un sobreviviente", "us", id="short-spanish-headline"
        ),
        pytest.param("EU sanciona a red de fraude del CJNG", "us", id="spanish-hints"),
        pytest.param("EU leaders meet over tariffs", "europe", id="english"),
    ],
)
def test_eu_is_the_us_in_spanish_and_europe_in_english(title: str, country: str) -> None:
    assert country in signature(title, "").title


def test_a_mexican_court_step_is_a_step_of_the_storyline() -> None:
    """*Vinculan a proceso* (formally charged) after *detienen* (arrested) is the next step,
    and so is a judge's *prisión preventiva*: the step guard keeps them out of the arrest's
    thread."""
    arrest = signature("Detienen en Reynosa a 'El Toro', líder de Los Metros", "")
    charged = signature("Vinculan a proceso a 'El Toro', líder de Los Metros", "")
    custody = signature("Juez dicta prisión preventiva a 'El Toro'", "")
    assert conflict(arrest, charged) == "step"
    assert conflict(arrest, custody) == "step"


@pytest.mark.parametrize(
    ("first", "then"),
    [
        pytest.param(
            "Treasury sanctions CJNG-linked timeshare fraud ring",
            "Mexico freezes accounts of the timeshare network",
            id="sanctions-then-freeze",
        ),
        pytest.param(
            "Commerce affirms antidumping duty on Mexican tomatoes in final ruling",
            "Mexican tomato exporters challenge the antidumping duty",
            id="ruling-then-appeal",
        ),
        pytest.param(
            "UIF congela cuentas de red de tiempos compartidos",
            "Empresas impugnan ante un juez la medida de la UIF",
            id="freeze-then-appeal-es",
        ),
    ],
)
def test_financial_and_legal_next_steps_are_steps(first: str, then: str) -> None:
    assert conflict(signature(first, ""), signature(then, "")) == "step"


def test_two_drugs_in_two_headlines_are_two_seizures() -> None:
    meth = signature("Marina asegura 1.4 toneladas de metanfetamina en Manzanillo", "")
    cocaine = signature("Semar asegura 1.4 toneladas de cocaína en Manzanillo", "")
    assert conflict(meth, cocaine) == "substance"
    # one headline naming two drugs, the other one of them, is no contradiction
    both = signature("Marines seize meth and fentanyl at a Sinaloa lab", "")
    fentanyl = signature("Marina asegura fentanilo en narcolaboratorio de Sinaloa", "")
    assert conflict(both, fentanyl) is None


@pytest.mark.parametrize(
    ("a", "b", "guard"),
    [
        pytest.param(
            "Mexico sends 29 cartel members to US",
            "Mexico sends 26 cartel members to US",
            "figures",
            id="figures",
        ),
        pytest.param(
            "Gunmen kill mayor of Uruapan", "Gunmen kill mayor of Celaya", "names", id="names"
        ),
        pytest.param(
            "Mexico arrests 'El Tigre' in Zapopan",
            "Mexico extradites 'El Tigre' to US",
            "step",
            id="step",
        ),
        pytest.param(
            "Navy seizes cocaine in Manzanillo",
            "Navy seizes meth in Manzanillo",
            "substance",
            id="substance",
        ),
    ],
)
def test_every_guard_has_words_for_watchbot_same(a: str, b: str, guard: str) -> None:
    assert conflict(signature(a, ""), signature(b, "")) == guard
    assert GUARDS[guard].startswith("different ")


def test_a_court_siding_with_a_party_is_its_ruling() -> None:
    """ "Justices side with …" is the ruling ("sides" stems to "sid", so "side" is listed
    itself), a step after the hearing."""
    ruling = signature("Justices unanimously side with Smith & Wesson in Mexico case", "")
    hearing = signature("Supreme Court hears arguments in Mexico's suit against gunmakers", "")
    assert conflict(ruling, hearing) == "step"
