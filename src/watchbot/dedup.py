"""Identity of feed items and the same-story decision. Pure: no IO, no SQL, no clock.

Two questions, two answers:

* **Was this item seen?** `item_keys` gives every identity an item has (its feed GUID, its
  canonical URL, or, lacking both, a hash of feed, folded title and date). An item is seen when
  *any* of its keys was recorded before, so a title edit, a reorder or a republication with a new
  date never makes a new alert. Keys use the feed's *name*, never its URL, so a feed that moved
  (301) keeps its items.

* **Is this report the same story as one alerted lately?** `signature` reduces a headline and its
  summary to content tokens, numbers, dates and names; `same_story` compares two signatures;
  `RelatedIndex` finds, among the stories alerted within `dedup.window` in one channel, the
  earliest one that is the same story, without comparing against every one of them.

The same *story* is not the same *topic*: a different number, person, place or day in the
headlines makes a different story (see `same_story`).
"""

from __future__ import annotations

import heapq
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from rapidfuzz import fuzz

from watchbot.text import Token, fold, tokenize

__all__ = [
    "RelatedIndex",
    "Signature",
    "same_story",
    "signature",
    "signature_from_json",
    "signature_to_json",
]

# --- signatures ----------------------------------------------------------------------------------


def _wordlist(text: str) -> list[str]:
    """The words of a whitespace-separated word list written as one string."""
    return text.split()


_STOPWORDS = frozenset(
    _wordlist("""
    a an the and or but if of to in on at by for with from into onto over under about as is are
    was were be been being has have had do does did done will would shall should can could may
    might must not no nor so than then that this these those there their theirs they them he she
    it its his her hers we our ours you your i me my who whom whose which what when where why how
    all any both each few more most other some such only own same too very just also after before
    while amid during against between through up down out off again further once here us s t
    says said say saying told tells tell according news report reports reported today yesterday
    tomorrow now per via vs ahead amid among around still yet even back near mil
    el la lo los las un una uno unos unas y e o u de del al a en con por para sin sobre entre
    hasta desde hacia tras ante bajo que quien quienes cual cuales cuyo cuya como cuando donde
    porque pero sino ni si ya mas muy tambien se su sus le les me mi nos es son fue fueron ser
    sido era eran esta este estos estas ese esa esos esas estan estaba ha han habia hay haber
    tiene tienen tener dijo dice afirmo aseguro informo segun hoy ayer ahora otro otra otros otras
    todo toda todos todas sera seran sea puede pueden luego aun asi mismo misma cada tanto
    """)
)

# Words that say little about *which* story it is: counted, but lightly.
_GENERIC = frozenset(
    _wordlist("""
    announce government official president secretary minister plan new first country people
    state federal national authority city week year day month time call make take give amid
    official statement move step latest update live video photo say government administration
    """)
)

# The two countries almost every story in this newsroom's feeds names.
_UBIQUITOUS = frozenset({"mexico", "us"})

# English and Spanish forms of the words this newsroom's stories turn on, mapped to one concept,
# so that reports of one event in both languages share more than their names and numbers.
_CONCEPTS: dict[str, str] = {
    "mexico": "mexico méxico mexican mexicans mexicano mexicana mexicanos mexicanas",
    "us": "eeuu usa american americans estadounidense estadounidenses norteamericano",
    "canada": "canada canadá canadian canadians canadiense canadienses",
    "china": "china chinese chino chinos",
    "usmca": "usmca tmec nafta tlcan",
    "cartel": "cartel cartels cártel cárteles carteles",
    "member": "member members miembro miembros integrante integrantes",
    "extradite": "extradite extradites extradited extradition extraditions extradita extraditó "
    "extraditado extraditados extradición extradiciones extraditar",
    "transfer": "send sends sent sending envía envia envió envio enviar envían hand hands handed "
    "handover transfer transfers transferred traslada trasladó traslado trasladados "
    "transfiere entrega entregó entregados expulsa expulsó expel expels expelled delivery "
    "deliveries entregas",
    "charge": "charge charges charged indict indicts indicted indictment acusa acusó acusado "
    "acusados acusación cargos imputa imputó",
    "tariff": "tariff tariffs arancel aranceles arancelaria arancelario arancelarias duty duties "
    "levy levies",
    "fentanyl": "fentanyl fentanilo",
    "border": "border frontera fronteriza fronterizo fronterizos",
    "trade": "trade comercio comercial comerciales",
    "agreement": "agreement agreements deal deals acuerdo acuerdos pact pacto",
    "security": "security seguridad",
    "drug": "drug drugs droga drogas narcotic narcotics estupefacientes",
    "trafficker": "trafficking trafficker traffickers tráfico traficante traficantes "
    "narcotraficante narcotraficantes narco narcos narcotráfico",
    "terrorism": "terrorism terrorist terrorists terrorismo terrorista terroristas "
    "narcoterrorism narcoterrorismo",
    "arrest": "arrest arrests arrested detiene detienen detenido detenidos detención captura "
    "capturado capturados capture captured arresto apprehension apprehensions",
    "kill": "kill kills killed killing killings mata matan asesinato asesinatos asesinado "
    "asesinados asesina asesinan asesinada muertos muerto muertes mueren murieron murió muere dead "
    "death deaths murder murdered homicidio homicidios lethal letal fallecen fallecidos",
    "troop": "troop troops tropas soldier soldiers soldados military militar militares army "
    "ejército",
    "meet": "meet meets meeting reunión reunion reúne reunirá met",
    "sanction": "sanction sanctions sanctioned sanciona sancionó sanciones sancionados",
    "treasury": "treasury tesoro ofac",
    "migrant": "migrant migrants migrante migrantes immigrant immigrants inmigrante inmigrantes",
    "deport": "deport deports deported deportation deportations deporta deportados deportación "
    "deportaciones repatriate repatriated repatriation repatriations repatriado repatriados "
    "repatriación repatriaciones",
    "steel": "steel acero",
    "aluminum": "aluminum aluminium aluminio",
    "vehicle": "car cars auto autos vehicle vehicles automotive automotriz vehículos vehículo "
    "automakers automotrices",
    "review": "review revisión revision",
    "seize": "seize seizes seized seizure seizures decomisa decomisó decomiso decomisan "
    "aseguramiento incauta incautó incautación aseguran asegura aseguró bust busts",
    "find": "find finds found hallan halla hallaron localizan localiza localizaron encuentran "
    "encontraron discover discovered",
    "weapon": "weapon weapons gun guns arma armas firearm firearms gunmaker gunmakers",
    "maker": "maker makers manufacturer manufacturers fabricante fabricantes",
    "lawsuit": "lawsuit lawsuits suit demanda demandas sue sues sued",
    "import": "import imports imported importación importaciones importa",
    "cut": "cut cuts recorta recortó recorte recortes lower lowers lowered reduce reduces reduced "
    "reducción trim trims trimmed",
    "point": "point points punto puntos",
    "bank": "bank banks banco bancos",
    "drown": "drown drowns drowned ahogado ahogados ahogada ahogan",
    "revoke": "revoke revokes revoked revoca revocó retira retiró",
    "prisoner": "prisoner prisoners preso presos reo reos inmate inmates",
    "port": "port ports garita garitas puerto puertos",
    "lab": "lab labs laboratory laboratories laboratorio laboratorios narcolaboratorio "
    "narcolaboratorios",
    "leader": "leader leaders líder líderes jefe jefes capo capos boss bosses cabecilla",
    "son": "son sons hijo hijos",
    "brother": "brother brothers hermano hermanos",
    "prison": "prison jail prisión cárcel penal",
    "court": "court courts judge tribunal corte juez jueza",
    "sentence": "sentence sentenced sentencia sentenciado condena condenado condenan",
    "life": "life perpetua",
    "million": "million millions millón millones",
    "billion": "billion billions",
    "dollar": "dollar dollars dólar dólares",
    "percent": "percent porcentaje",
    "water": "water agua",
    "treaty": "treaty tratado",
    "election": "election elections elección elecciones",
    "judicial": "judicial judiciary",
    "reform": "reform reforms reforma reformas",
    "oil": "oil petróleo crude crudo",
    "refinery": "refinery refinería",
    "explosion": "explosion explosión blast",
    "hurricane": "hurricane huracán cyclone ciclón",
    "landfall": "landfall",
    "flood": "flood floods inundación inundaciones",
    "earthquake": "earthquake sismo terremoto quake temblor tiembla",
    "remittance": "remittance remittances remesa remesas",
    "tax": "tax taxes impuesto impuestos",
    "migration": "migration migración migratorio migratoria",
    "asylum": "asylum asilo",
    "wall": "wall muro",
    "navy": "navy marina semar",
    "governor": "governor gobernador gobernadora",
    "mayor": "mayor alcalde alcaldesa",
    "journalist": "journalist journalists periodista periodistas reporter",
    "shooting": "shooting shootout balacera tiroteo enfrentamiento",
    "kidnap": "kidnap kidnapped kidnapping secuestro secuestrado secuestrados secuestra",
    "missing": "missing desaparecido desaparecidos disappeared",
    "body": "bodies body cuerpos cuerpo cadáveres restos remains",
    "grave": "grave graves fosa fosas",
    "agent": "agent agents agente agentes",
    "designate": "designate designates designated designation designa designó designación",
    "foreign": "foreign extranjero extranjera extranjeras extranjeros",
    "organization": "organization organizations organización organizaciones group groups grupo "
    "grupos",
    "pill": "pill pills pastilla pastillas píldoras",
    "cocaine": "cocaine cocaína",
    "meth": "meth methamphetamine metanfetamina",
    "ton": "ton tons tonne tonnes tonelada toneladas",
    "kilo": "kilo kilos kilogram kilograms kilogramos",
    "reject": "reject rejects rejected rechaza rechazó rechazan",
    "threaten": "threaten threatens threatened amenaza amenazó amenazas threat threats",
    "pause": "pause pauses paused pausa suspend suspends suspended suspende suspendió postpone "
    "postpones postponed pospone aplaza delay delays delayed halt halts halted",
    "impose": "impose imposes imposed impone impuso",
    "ban": "ban bans banned prohíbe prohibe prohibición",
    "investigate": "investigation investigations investigate investigates investigación "
    "investiga probe",
    "plane": "plane planes aircraft avión avioneta",
    "helicopter": "helicopter helicóptero",
    "ambassador": "ambassador embajador embajadora",
    "embassy": "embassy embajada",
    "cattle": "cattle ganado livestock",
    "screwworm": "screwworm barrenador",
    "tomato": "tomato tomatoes tomate tomates jitomate",
    "corn": "corn maize maíz",
    "avocado": "avocado avocados aguacate aguacates",
    "energy": "energy energía",
    "truck": "truck trucks camión camiones",
    "bridge": "bridge puente",
    "crossing": "crossing crossings cruce cruces",
    "customs": "customs aduana aduanas",
    "tunnel": "tunnel túnel",
    "drone": "drone drones dron",
    "police": "police policía policías",
    "strike": "strike strikes struck airstrike airstrikes bombardeo bombardeos attack attacks "
    "attacked ataque ataques ataca atacan atacado atacada atacó",
    "boat": "boat boats vessel vessels lancha lanchas narcolancha narcolanchas embarcación "
    "embarcaciones barco barcos ship ships",
    "soil": "soil territory territorio suelo",
    "smuggling": "smuggling smuggle smuggled contrabando",
    "hostage": "hostage hostages rehén rehenes",
    "president": "president presidente presidenta",
    "government": "government gobierno",
    "announce": "announce announces announced anuncia anunció",
    "official": "official officials funcionario funcionarios",
    "secretary": "secretary secretario secretaria",
    "country": "country countries país países",
    "people": "people personas",
    "new": "new nuevo nueva nuevos nuevas",
    "first": "first primer primera primero",
    "week": "week weeks semana semanas",
    "year": "year years año años",
    "day": "day days día días",
    "authority": "authority authorities autoridad autoridades",
    "national": "national nacional",
    "state": "state states estado estados",
    "city": "city ciudad",
    "say": "say says said dijo dice afirma afirmó asegura aseguró",
    "sheinbaum": "sheinbaum",
    "guilty": "guilty guilt culpable culpabilidad admit admits admitted admite admitió reconoce "
    "reconoció",
    "plead": "plead pleads pleaded pleading declara declaró",
    "approve": "approve approves approved aprueba aprobó aprueban aprobaron pass passes passed",
    "congress": "congress congreso lawmakers legisladores",
    "senate": "senate senado senators senadores",
    "house": "house cámara representatives representantes diputados",
    "constitution": "constitution constitución constitutional constitucional",
    "gm": "gm transgénico transgénicos transgenic",
    "europe": "europe europa european europea europeo europeos",
    "japan": "japan japón japanese japonés japonesa",
    "spain": "spain españa spanish español española",
    "germany": "germany alemania german alemán",
    "france": "france francia french francés",
    "brazil": "brazil brasil brazilian brasileño",
    "russia": "russia rusia russian ruso rusa",
    "ukraine": "ukraine ucrania ukrainian ucraniano",
    "britain": "britain uk british británico",
    "venezuela": "venezuela venezuelan venezolano venezolana",
    "colombia": "colombia colombian colombiano colombiana",
    "guatemala": "guatemala guatemalan guatemalteco",
    "honduras": "honduras honduran hondureño",
    "cuba": "cuba cuban cubano cubana",
    "newyork": "newyork",
    "worldcup": "worldcup mundial",
    "pentagon": "pentagon pentágono",
    "caribbean": "caribbean caribe",
    "pacific": "pacific pacífico",
    "gulf": "gulf golfo",
    "mexicocity": "cdmx",
    "centralbank": "banxico",
    "peru": "peru perú peruvian peruano",
    "reward": "reward recompensa",
    "release": "release releases released libera liberan liberado liberada liberados liberó",
    "rate": "rate rates tasa tasas",
    "quarter": "quarter trimestre quarterly trimestral",
    "revenue": "revenue revenues ingresos",
}
# Two-word names written as one thing, and the Spanish for "the US".
_PHRASES: dict[tuple[str, str], str] = {
    ("estados", "unidos"): "us",
    ("united", "states"): "us",
    ("ee", "uu"): "us",
    ("u", "s"): "us",
    ("t", "mec"): "usmca",
    ("casa", "blanca"): "whitehouse",
    ("white", "house"): "whitehouse",
    ("guardia", "nacional"): "nationalguard",
    ("national", "guard"): "nationalguard",
    ("justice", "department"): "doj",
    ("departamento", "justicia"): "doj",
    ("state", "department"): "statedept",
    ("departamento", "estado"): "statedept",
    ("fiscalia", "general"): "fgr",
    ("attorney", "general"): "attorneygeneral",
    ("cadena", "perpetua"): "life",
    ("narco", "terrorism"): "terrorism",
    ("narco", "terrorismo"): "terrorism",
    ("new", "york"): "newyork",
    ("nueva", "york"): "newyork",
    ("world", "cup"): "worldcup",
    ("new", "generation"): "cjng",
    ("nueva", "generacion"): "cjng",
    ("copa", "mundial"): "worldcup",
    ("european", "union"): "europe",
    ("union", "europea"): "europe",
    ("reino", "unido"): "britain",
    ("united", "kingdom"): "britain",
    ("camara", "baja"): "house",
    ("genetically", "modified"): "gm",
    ("supreme", "court"): "supremecourt",
    ("rio", "grande"): "riogrande",
    ("rio", "bravo"): "riogrande",
    ("state", "dept"): "statedept",
    ("baja", "california"): "bajacalifornia",
    ("central", "bank"): "centralbank",
    ("banco", "mexico"): "centralbank",
    ("mexico", "city"): "mexicocity",
    ("ciudad", "mexico"): "mexicocity",
    ("presidente", "municipal"): "mayor",
    ("toca", "tierra"): "landfall",
    ("toco", "tierra"): "landfall",
    ("tocar", "tierra"): "landfall",
    ("mil", "millones"): "billion",
    ("suprema", "corte"): "supremecourt",
}
_DAYS = {
    "monday": "@mon lunes",
    "tuesday": "@tue martes",
    "wednesday": "@wed miercoles",
    "thursday": "@thu jueves",
    "friday": "@fri viernes",
    "saturday": "@sat sabado",
    "sunday": "@sun domingo",
}
_MONTHS = {
    "january": "@m01 enero jan",
    "february": "@m02 febrero feb",
    "march": "@m03 marzo mar",
    "april": "@m04 abril apr",
    "june": "@m06 junio jun",
    "july": "@m07 julio jul",
    "august": "@m08 agosto aug",
    "september": "@m09 septiembre setiembre sept sep",
    "october": "@m10 octubre oct",
    "november": "@m11 noviembre nov",
    "december": "@m12 diciembre dec",
}
_SMALL_NUMBERS: dict[str, int] = {}
for _i, _w in enumerate(
    _wordlist(
        "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen"
    ),
    start=2,
):
    _SMALL_NUMBERS[_w] = _i
for _i, _w in enumerate(
    _wordlist(
        "dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince dieciseis "
        "diecisiete dieciocho diecinueve veinte veintiuno veintidos veintitres veinticuatro "
        "veinticinco veintiseis veintisiete veintiocho veintinueve"
    ),
    start=2,
):
    _SMALL_NUMBERS[_w] = _i
_TENS: dict[str, int] = {}
for _i, _w in enumerate(
    _wordlist("twenty thirty forty fifty sixty seventy eighty ninety"), start=2
):
    _TENS[_w] = _i * 10
for _i, _w in enumerate(
    _wordlist("veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa"), start=2
):
    _TENS[_w] = _i * 10
_UNITS = {w: n for w, n in _SMALL_NUMBERS.items() if n < 10} | {"one": 1, "uno": 1, "un": 1}


def _stem(word: str) -> str:
    """A light stemmer for English and Spanish: plurals and -ed/-ing off, a final -e off, so that
    `charges`/`charge`/`charged` and `carteles`/`cartel` meet."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) >= 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _build_lexicon() -> dict[str, str]:
    lexicon: dict[str, str] = {}
    for concept, forms in _CONCEPTS.items():
        for form in [concept, *forms.split()]:
            low = fold(form)
            lexicon.setdefault(low, concept)
            lexicon.setdefault(_stem(low), concept)
    for table in (_DAYS, _MONTHS):
        for name, forms in table.items():
            tag, *others = forms.split()
            for form in [name, *others]:
                lexicon[form] = tag
    return lexicon


_LEXICON = _build_lexicon()
_KNOWN_NAMES = frozenset(
    {"mexico", "us", "canada", "china", "usmca", "whitehouse", "doj", "fgr", "sheinbaum", "europe"}
    | {"japan", "spain", "germany", "france", "brazil", "russia", "ukraine", "britain"}
    | {"venezuela", "colombia", "guatemala", "honduras", "cuba", "newyork", "worldcup"}
    | {"pentagon", "peru", "senate", "house", "congress", "supremecourt"}
    | {"mexicocity"}
)
# Names that are places and bodies whatever the words around them.
_PLACES = frozenset(
    _wordlist("newyork riogrande mexicocity bajacalifornia texas arizona california")
)
# Seas and oceans: where, at sea, not which town or country ("off Venezuela" is in the Caribbean).
_REGIONS = frozenset(_wordlist("caribbean pacific gulf atlantic"))
_ORGS = frozenset(
    _wordlist("""
    whitehouse doj fgr pentagon senate house congress supremecourt statedept nationalguard
    attorneygeneral
    """)
)
# Words after which a name is a place: "in Tula", "near Eagle Pass", "cerca de Culiacán".
_LOCATIVES = frozenset(_wordlist("in at near from off en desde cerca frente"))
_COUNTRIES = frozenset(
    _wordlist(
        "mexico us canada china europe japan spain germany france brazil russia ukraine britain "
        "venezuela colombia guatemala honduras cuba peru"
    )
)
_GENERIC_CONCEPTS = _GENERIC | frozenset({"say"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
# Spanish "10 mil" is 10,000 and "7 mil 181" is 7,181 ("10 mil millones" is 10 billion)
_MIL = re.compile(r"\s+mil\b(?!\s+mill)(?:\s+(\d{1,3})\b(?![.,]\d))?", re.IGNORECASE)
# a change of rate in percentage points: "50 basis points", "50 puntos base", "half a point"
_BASIS_POINTS = re.compile(r"\s*(?:basis[\s-]+points?|bps?|puntos?[\s-]+base|pb)\b", re.IGNORECASE)
_PERCENT_POINTS = re.compile(
    r"\s*(?:percentage[\s-]+points?|puntos?[\s-]+porcentual(?:es)?)\b", re.IGNORECASE
)
_FRACTION_POINT = re.compile(
    r"\b(half|quarter|medio|cuarto)(?:[\s-]+(?:of[\s-]+a|a|de))?(?:[\s-]+percentage)?"
    r"[\s-]+(?:point|punto)\b",
    re.IGNORECASE,
)
_FRACTIONS = {"half": "0.5pp", "medio": "0.5pp", "quarter": "0.25pp", "cuarto": "0.25pp"}
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|por\s+ciento\b)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\n|]")


def _normalise(low: str) -> str:
    """One folded, lower-cased word → the token it counts as."""
    concept = _LEXICON.get(low)
    if concept is not None:
        return concept
    stem = _stem(low)
    return _LEXICON.get(stem, stem)


def _number(raw: str) -> str:
    """`"1,200"`/`"1.200"` → `"1200"`; `"1.5"`/`"1,5"` → `"1.5"`; leading zeros dropped."""
    if _THOUSANDS.fullmatch(raw):
        return raw.replace(",", "").replace(".", "").lstrip("0") or "0"
    parts = re.split(r"[.,]", raw)
    whole = parts[0].lstrip("0") or "0"
    if len(parts) == 2:
        frac = parts[1].rstrip("0")
        return f"{whole}.{frac}" if frac else whole
    return whole if len(parts) == 1 else raw.replace(",", ".")


def _points(value: float) -> str:
    return f"{value:g}pp"


def _numbers(text: str) -> dict[int, str]:
    """The numbers written in digits in `text`, by the offset where each starts, normalised:
    `"7,181"`, `"7 mil 181"` → `"7181"`; `"8.00%"` → `"8%"`; `"50 basis points"`,
    `"50 puntos base"`, `"half a point"` → `"0.5pp"`."""
    found: dict[int, str] = {}
    skip_to = -1
    for m in _NUMBER.finditer(text):
        if m.start() < skip_to:
            continue  # the "181" of "7 mil 181"
        value = _number(m.group())
        end = m.end()
        if (mil := _MIL.match(text, end)) is not None:
            thousands = float(value) * 1000 + (int(mil.group(1)) if mil.group(1) else 0)
            value = _number(str(round(thousands)))
            skip_to = end = mil.end()
        if _PERCENT.match(text, end):  # "30%" is not "30 days"
            value += "%"
        elif _BASIS_POINTS.match(text, end):
            value = _points(float(value) / 100)
        elif _PERCENT_POINTS.match(text, end):
            value = _points(float(value))
        found[m.start()] = value
    for m in _FRACTION_POINT.finditer(text):
        found[m.start()] = _FRACTIONS[m.group(1).lower()]
    return found


# Words between a number and what it counts that say nothing of what it counts.
_COUNT_FILLERS = frozenset(
    _wordlist("""
    more less other another additional alleged suspected some about around nearly almost over
    than least mas menos otros otras presuntos presuntas presunto presunta unos unas casi cerca
    alrededor mil
    """)
)
_KIND_WORDS = 2  # words after a number that say what it counts ("20 bodies", "four hanging")


@dataclass(frozen=True)
class _Words:
    tokens: list[str]  # normalised content tokens, in order
    names: set[str]
    numbers: set[str]  # numbers and "@day"/"@month" tags
    places: set[str]  # names written as places ("in Tula", "near Eagle Pass"), or known places
    orgs: set[str]  # names of bodies: acronyms ("CBP") and known institutions ("Pentagon")
    kinds: set[str]  # what a number counts, as "<number>|<word>": "20|body", "4|hang"


def _analyse(
    text: str, title_case: bool, spanish: bool, known: frozenset[str] = frozenset()
) -> _Words:
    """Content tokens, names, numbers and dates of one text. `known`: names already established
    (from the summary, for a title-case headline); `spanish`: the story is in Spanish."""
    tokens: list[str] = []
    names: set[str] = set()
    places: set[str] = set()
    orgs: set[str] = set()
    kinds: set[str] = set()
    digits = _numbers(text)
    numbers: set[str] = set(digits.values())
    raw = tokenize(text)
    # pairs of words that are one name ("Estados Unidos", "T-MEC", "U.S.")
    merged: list[tuple[Token, str]] = []
    i = 0
    while i < len(raw):
        tok = raw[i]
        if i + 1 < len(raw):
            pair = (tok.low, raw[i + 1].low)
            # "departamento de justicia": skip one "de" inside a phrase
            if pair[1] in ("de", "del") and i + 2 < len(raw):
                alt = (tok.low, raw[i + 2].low)
                if alt in _PHRASES:
                    merged.append((tok, _PHRASES[alt]))
                    i += 3
                    continue
            if pair in _PHRASES and (pair != ("u", "s") or tok.word == "U"):
                merged.append((tok, _PHRASES[pair]))
                i += 2
                continue
        merged.append((tok, ""))
        i += 1
    pending_tens = 0
    prev_end = -1
    counted: list[str] = []  # the numbers whose kind the next words tell
    kind_words = 0
    words_before: tuple[str, str] = ("", "")  # the two words before this one, lower-cased
    before = words_before
    run = ""  # the kind of the name just before this word, if it was one: "Eagle Pass"
    prev_run = ""

    def count(value: str) -> None:
        nonlocal counted, kind_words
        counted, kind_words = [value], _KIND_WORDS

    def add_name(name: str, acronym: bool) -> None:
        nonlocal run
        names.add(name)
        kind = "person"
        locative = before[1] in _LOCATIVES or (
            before[1] in ("de", "a") and before[0] in _LOCATIVES  # "cerca de", "frente a"
        )
        if name in _PLACES or name in _COUNTRIES or prev_run == "place" or locative:
            kind = "place"
        elif acronym or name in _ORGS or prev_run == "org":
            kind = "org"
        if kind == "place":
            places.add(name)
        elif kind == "org":
            orgs.add(name)
        run = kind

    for tok, phrase in merged:
        initial = prev_end < 0 or bool(_SENTENCE_END.search(text, prev_end, tok.start))
        prev_end = tok.end
        word, low = tok.word, tok.low
        prev_run, run = ("" if initial else run), ""
        before, words_before = words_before, (words_before[1], low)
        if phrase:
            tokens.append(phrase)
            if phrase not in _CONCEPTS or phrase in _KNOWN_NAMES:
                add_name(phrase, False)
            pending_tens = 0
            continue
        if low.isdigit():
            if tok.start in digits:
                count(digits[tok.start])
            pending_tens = 0
            continue
        # spelled-out numbers: "twenty-nine", "veintinueve", "treinta y siete"
        if low in _TENS:
            pending_tens = _TENS[low]
            numbers.add(str(pending_tens))
            count(str(pending_tens))
            continue
        if pending_tens and low in _UNITS:
            numbers.discard(str(pending_tens))
            numbers.add(str(pending_tens + _UNITS[low]))
            count(str(pending_tens + _UNITS[low]))
            pending_tens = 0
            continue
        if low == "y" and pending_tens:
            continue
        pending_tens = 0
        if low in _SMALL_NUMBERS:
            numbers.add(str(_SMALL_NUMBERS[low]))
            count(str(_SMALL_NUMBERS[low]))
            continue
        acronym = len(word) >= 2 and word.isupper() and word.isalpha()
        if low in _STOPWORDS and not acronym:
            continue
        if acronym and low == "eu" and not spanish:
            norm = "europe"  # the European Union in English; in Spanish, EU is the United States
        elif acronym and low == "eu":
            norm = "us"
        else:
            norm = _normalise(low)
        if norm.startswith("@"):
            numbers.add(norm)
            continue
        tokens.append(norm)
        if kind_words and low not in _COUNT_FILLERS:
            kinds.update(f"{value}|{norm}" for value in counted)
            kind_words -= 1
        capital = word[:1].isupper()
        if norm in _CONCEPTS and norm not in _KNOWN_NAMES:
            continue  # "Cartel", "President": words, whatever their case
        if (
            acronym
            or norm in known
            or norm in _COUNTRIES  # "productos mexicanos"
            or (capital and not title_case and not initial)
            or (capital and norm in _KNOWN_NAMES)
        ):
            add_name(norm, acronym)
    return _Words(tokens, names, numbers, places, orgs, kinds)


_SPANISH_HINTS = frozenset(_wordlist("el la los las de del que en y por para con una es se su al"))
_ENGLISH_HINTS = frozenset(_wordlist("the of and to in for on with is by at from that as its are"))


def _looks_spanish(text: str) -> bool:
    low = fold(text).split()
    return sum(w in _SPANISH_HINTS for w in low) > sum(w in _ENGLISH_HINTS for w in low)


def _is_title_case(title: str) -> bool:
    long = [t.word for t in tokenize(title)[1:] if len(t.word) >= 4 and t.word.isalpha()]
    if len(long) < 4:  # too few words to tell a title-case headline from names
        return False
    return sum(w[:1].isupper() for w in long) / len(long) > 0.6


@dataclass(frozen=True)
class Signature:
    """What `same_story` compares: the normalised content tokens, names, numbers and dates of a
    headline and of headline + summary. Persisted as JSON (`signature_to_json`)."""

    title: frozenset[str]
    body: frozenset[str]  # headline + summary
    title_names: frozenset[str]
    names: frozenset[str]
    title_numbers: frozenset[str]  # numbers, and days/months as "@fri", "@m03"
    numbers: frozenset[str]
    # version 2: which names are places and which bodies (the others are people), and what the
    # headline's numbers count ("20|body"); empty in a signature stored by version 1
    places: frozenset[str] = frozenset()
    orgs: frozenset[str] = frozenset()
    title_kinds: frozenset[str] = frozenset()

    def index_tokens(self) -> frozenset[str]:
        """The tokens `RelatedIndex` files this signature under."""
        return self.body | self.numbers


def signature(title: str, text: str) -> Signature:
    """The signature of a story: its headline and its summary as plain text."""
    title_case = _is_title_case(title) or title.isupper()
    spanish = _looks_spanish(f"{title} {text}")
    summary = _analyse(text, title_case=False, spanish=spanish)
    # a capitalised headline word is a name if the summary writes it capitalised too, even at
    # the start of a sentence ("Flossie strengthens…" / "Flossie was moving…")
    capitalised = {
        _normalise(t.low)
        for t in tokenize(text)
        if t.word[:1].isupper() and t.low not in _STOPWORDS and not t.low.isdigit()
    }
    headline = _analyse(title, title_case, spanish, known=frozenset(summary.names | capitalised))
    # a name first seen capitalised mid-sentence in the headline is a name at a summary's
    # sentence start too
    summary = _analyse(text, False, spanish, known=frozenset(headline.names | summary.names))
    names = headline.names | summary.names
    return Signature(
        title=frozenset(headline.tokens),
        body=frozenset(headline.tokens) | frozenset(summary.tokens),
        title_names=frozenset(headline.names),
        names=frozenset(names),
        title_numbers=frozenset(headline.numbers),
        numbers=frozenset(headline.numbers | summary.numbers),
        # a name is a place (or a body) if either text writes it as one
        places=frozenset(headline.places | summary.places),
        orgs=frozenset((headline.orgs | summary.orgs) - headline.places - summary.places),
        title_kinds=frozenset(headline.kinds),
    )


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2100


@lru_cache(maxsize=1 << 16)
def _base_weight(token: str) -> float:
    if token in _UBIQUITOUS:
        return 0.5
    if token in _GENERIC_CONCEPTS:
        return 0.4
    if token[:1].isdigit():
        return 1.0 if _is_year(token) else 3.0
    if token.startswith("@"):
        return 2.0
    return 1.0


def _weight(token: str, names: frozenset[str]) -> float:
    """How much sharing `token` says two reports are one story: numbers, days and names most,
    Mexico, the US and generic words least."""
    weight = _base_weight(token)
    return 2.5 if weight == 1.0 and token in names else weight


def _dice(a: frozenset[str], b: frozenset[str], names: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = sum(_weight(t, names) for t in a & b)
    total = sum(_weight(t, names) for t in a) + sum(_weight(t, names) for t in b)
    return 2 * shared / total


def _value(number: str) -> float | None:
    try:
        return float(number)
    except ValueError:
        return None  # "@fri", "30%"


def _unmatched_numbers(mine: frozenset[str], theirs: frozenset[str]) -> frozenset[str]:
    """Numbers of `mine` not in `theirs`. A large amount given whole counts as given when the
    other report has it with decimals ("$124 billion" is "$124.3 billion"); anything else must
    be exact (2,689 migrants are not 2,702; a 7.5% rate is not a 7% rate)."""
    missing = mine - theirs
    if not missing:
        return missing
    decimals = {int(v) for t in theirs if "." in t and (v := _value(t)) is not None and v >= 100}
    wholes = {int(t) for t in theirs if t.isdigit() and int(t) >= 100}

    def given(number: str) -> bool:
        value = _value(number)
        if value is None or value < 100:
            return False
        return int(value) in (wholes if "." in number else decimals)

    return frozenset(number for number in missing if not given(number))


def _unmatched_names(mine: Signature, other: Signature) -> frozenset[str]:
    """Names in `mine`'s headline the other report never mentions, not even spelled another way
    (`japon`/`japan`, `Culiacán`/`Culiacan` are one name). Mexico and the US, named by nearly
    every story, count only against a headline that names another country."""
    missing = mine.title_names - other.body
    if missing & _UBIQUITOUS and not (other.title_names & _COUNTRIES) - _UBIQUITOUS - mine.body:
        missing -= _UBIQUITOUS
    return frozenset(
        name
        for name in missing
        if len(name) < 5 or not any(fuzz.ratio(name, theirs) >= 80 for theirs in other.names)
    )


def _number_form(number: str) -> str:
    """What sort of figure `number` is: a count, a percentage, percentage points, a day or a
    month. Figures of different sorts never contradict each other."""
    if number.startswith("@m") and number[2:].isdigit():  # "@m03"; "@mon" is a day
        return "month"
    if number.startswith("@"):
        return "day"
    if number.endswith("%"):
        return "percent"
    if number.endswith("pp"):
        return "points"
    return "count"


def _counts(sig: Signature, number: str) -> frozenset[str]:
    """What `number` counts in `sig`'s headline: the words after it ("20 bodies", "four
    hanging"), Mexico and the US left out."""
    prefix = number + "|"
    return (
        frozenset(kind[len(prefix) :] for kind in sig.title_kinds if kind.startswith(prefix))
        - _UBIQUITOUS
    )


def _agreed_count(a: Signature, b: Signature) -> bool:
    """Whether both headlines give one same count (not a year): "20 bodies" / "20 cadáveres"."""
    shared = a.title_numbers & b.title_numbers
    return any(_number_form(n) == "count" and not _is_year(n) for n in shared)


def _numbers_conflict(
    a: Signature, a_lone: frozenset[str], b: Signature, b_lone: frozenset[str]
) -> bool:
    """Whether each headline gives a figure the other report never mentions, *of the same sort*:
    two percentages, two days, two counts. Two counts of plainly different things are details,
    not a contradiction, when the reports already agree on a count: "four hanging" and "five
    beheaded" can both be true of "20 bodies found"."""
    # a date in each headline is the story's day or month: two different ones are two stories,
    # even when one report mentions the other's date in passing ("up from 7,180 in March")
    for form in ("day", "month"):
        a_dates = {n for n in a.title_numbers if _number_form(n) == form}
        b_dates = {n for n in b.title_numbers if _number_form(n) == form}
        if a_dates and b_dates and not a_dates & b_dates:
            return True
    agreed = _agreed_count(a, b)
    for x in a_lone:
        for y in b_lone:
            form = _number_form(x)
            if form != _number_form(y):
                continue
            if form != "count":
                return True
            x_counts, y_counts = _counts(a, x), _counts(b, y)
            if not agreed or not x_counts or not y_counts or x_counts & y_counts:
                return True
    return False


def _name_kind(sig: Signature, name: str) -> str:
    if name in _REGIONS:
        return "region"
    if name in sig.places:
        return "place"
    return "org" if name in sig.orgs else "person"


def _names_conflict(a: Signature, b: Signature) -> bool:
    """Whether each headline names someone or somewhere the other report never mentions, *in
    the same slot*: two people, two places or two bodies. One outlet naming the town and the other
    the state, or one the Pentagon and the other Trump, is not a different story."""
    a_kinds = {_name_kind(a, name) for name in _unmatched_names(a, b)}
    return bool(a_kinds) and bool(
        a_kinds & {_name_kind(b, name) for name in _unmatched_names(b, a)}
    )


def _event_words(sig: Signature) -> frozenset[str]:
    """The headline's words that say what happened: not names, numbers or generic words."""
    return frozenset(
        t
        for t in sig.title - sig.names
        if t not in _GENERIC_CONCEPTS and t not in _UBIQUITOUS and not t[:1].isdigit()
    )


# Thresholds, tuned on tests/data/same_story.jsonl (see tests/test_dedup.py).
BODY_THRESHOLD = 0.45  # weighted Dice of headline + summary tokens: same story on its own
TITLE_THRESHOLD = 0.5  # weighted Dice of the headlines ...
TITLE_BODY_FLOOR = 0.3  # ... with at least this much of the whole
STRONG_SHARED = 9.0  # weight of shared names and numbers (not Mexico, US, years) ...
STRONG_BODY_FLOOR = 0.25  # ... with at least this much of the whole
OTHER_EVENT_BODY = 0.7  # headlines with no event word in common need this much of the whole
# headlines sharing a word about what happened, where neither gives a figure the other report
# lacks and nothing contradicts, need only this much of the whole
PLAIN_BODY = 0.29
# headlines sharing two names or telling figures ("29" and "Caro Quintero"; "Tabasco" and
# "Paraguay") with nothing contradicting need only this much of the whole
ANCHOR_BODY_FLOOR = 0.12


def _shared_strong(a: Signature, b: Signature, names: frozenset[str]) -> float:
    """The weight of the names and numbers both reports give (not Mexico, the US, years)."""
    return sum(
        _weight(t, names)
        for t in (a.names & b.names) | (a.numbers & b.numbers)
        if t not in _UBIQUITOUS and not _is_year(t)
    )


def _headline_anchors(a: Signature, b: Signature) -> frozenset[str]:
    """What both headlines name or give: names (not Mexico, the US) and telling figures (not
    years, not small counts like "4 dead" that many stories share)."""

    def telling(number: str) -> bool:
        value = _value(number)
        return not _is_year(number) and (value is None or value >= 10 or "." in number)

    names = (a.title_names & b.title_names) - _UBIQUITOUS
    return names | frozenset(n for n in a.title_numbers & b.title_numbers if telling(n))


def same_story(a: Signature, b: Signature) -> bool:
    """Whether two reports tell the same story, not merely the same topic. Symmetric and pure.

    Different when both headlines fill one slot differently, each with something the other report
    never mentions: two figures of one sort (two counts of the same thing, two percentages, two
    days), two people, two places or two bodies. A town against its state, a person against an
    institution, a country against a sea, or side counts when the headlines agree on the main
    count ("20 bodies"; "four hanging" / "five beheaded") are not a contradiction.
    Otherwise the same when the weighted token overlap (names and numbers weigh most, Mexico/US
    and generic words least) of headline + summary is high; or, the headlines sharing a word about
    what happened and neither giving a figure the other lacks, when it is fair; or when the
    headlines' overlap is high, or enough names and numbers are shared. Headlines without a word
    in common about what happened ("pleads guilty" / "charged") need a much higher overlap: both
    reports matched the same watchlist, so sharing the topic is never enough.
    """
    names = a.names | b.names
    a_lone = _unmatched_numbers(a.title_numbers, b.numbers)
    b_lone = _unmatched_numbers(b.title_numbers, a.numbers)
    body = _dice(a.body | a.numbers, b.body | b.numbers, names)
    if body < ANCHOR_BODY_FLOOR:  # the lowest bar of all the rules below
        return False
    # each headline gives a figure or a name in one slot that the other report never mentions
    if _numbers_conflict(a, a_lone, b, b_lone) or _names_conflict(a, b):
        return False
    # both headlines carry the same telling figure and another name or figure in common, and
    # nothing contradicts
    anchors = _headline_anchors(a, b)
    if len(anchors) >= 2 and any(t[:1].isdigit() for t in anchors):
        return True
    if body < STRONG_BODY_FLOOR:
        return False
    a_events, b_events = _event_words(a), _event_words(b)
    if a_events and b_events and not a_events & b_events:
        return body >= OTHER_EVENT_BODY
    if body >= BODY_THRESHOLD:
        return True
    # a figure only one report gives is a detail when the headlines agree on the main count
    if (a_lone or b_lone) and not _agreed_count(a, b):
        return False
    if body >= PLAIN_BODY:
        return True
    title = _dice(a.title | a.title_numbers, b.title | b.title_numbers, names)
    if title >= TITLE_THRESHOLD and body >= TITLE_BODY_FLOOR:
        return True
    return _shared_strong(a, b, names) >= STRONG_SHARED


_JSON_FIELDS_V1 = ("title", "body", "title_names", "names", "title_numbers", "numbers")
_JSON_FIELDS = (*_JSON_FIELDS_V1, "places", "orgs", "title_kinds")
_JSON_VERSION = 2


def signature_to_json(sig: Signature) -> str:
    """`sig` as compact JSON text, stable for equal signatures."""
    data: dict[str, object] = {"v": _JSON_VERSION}
    data.update({name: sorted(getattr(sig, name)) for name in _JSON_FIELDS})
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def signature_from_json(text: str) -> Signature:
    """The signature stored by `signature_to_json`, of this version or of version 1 (stored
    before names had kinds: all its names count as people, its numbers' kinds as unknown, so it
    is judged as version 1 judged it). Raises ValueError on anything else."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") not in (1, _JSON_VERSION):
            raise ValueError("not a version 1 or 2 signature")
        fields = {}
        for name in _JSON_FIELDS if data["v"] == _JSON_VERSION else _JSON_FIELDS_V1:
            values = data[name]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{name} is not a list of strings")
            fields[name] = frozenset(values)
    except (KeyError, json.JSONDecodeError) as e:
        raise ValueError(f"not a stored signature: {e}") from e
    return Signature(**fields)


# --- the index of recently alerted stories -------------------------------------------------------


@dataclass
class _Alerted:
    key: object
    sig: Signature
    when: datetime
    tokens: frozenset[str]


class RelatedIndex:
    """In-memory index of the stories alerted within `dedup.window` in one channel.

    `find` does not compare a new story with every alerted one: it looks up the alerted stories
    that share its rarest tokens (an inverted index, read rarest token first within a fixed
    budget of postings, so tokens carried by very many stories are skipped), ranks them by the
    IDF weight of what they share, and asks `same_story` only about the best few. Its cost
    depends on that budget, not on the size of the index.
    """

    QUERY_TOKENS = 10  # rarest tokens of a new story looked up ...
    POSTINGS_BUDGET = 3000  # ... while the postings read stay within this budget
    SHORTLIST = 200  # best stories on the tokens read, ranked again on all looked-up tokens
    CANDIDATES = 12  # best-ranked stories checked with same_story

    def __init__(self) -> None:
        self._entries: dict[int, _Alerted] = {}
        self._postings: dict[str, list[int]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: object, sig: Signature, when: datetime) -> None:
        """Record that the story `key` with signature `sig` was alerted at `when`."""
        ident = self._next
        self._next += 1
        tokens = sig.index_tokens()
        self._entries[ident] = _Alerted(key, sig, when, tokens)
        for token in tokens:
            self._postings.setdefault(token, []).append(ident)

    def find(self, sig: Signature, now: datetime, window: timedelta) -> object | None:
        """The key of the earliest-alerted story within `window` before `now` that is the same
        story as `sig`, or None."""
        since = now - window
        found = sorted((len(p), t) for t in sig.index_tokens() if (p := self._postings.get(t)))
        if not found:
            return None
        # the rarest tokens first, until the postings budget is spent; a story made only of
        # common tokens gets its rarest one read in its most recent postings
        total = len(self._entries) + 1
        idf = {token: math.log(total / df) for df, token in found[: self.QUERY_TOKENS]}
        scores: dict[int, float] = {}
        read = 0
        for df, token in found[: self.QUERY_TOKENS]:
            if read and read + df > self.POSTINGS_BUDGET:
                break
            postings = self._postings[token][-self.POSTINGS_BUDGET :]
            read += len(postings)
            for ident in postings:
                scores[ident] = scores.get(ident, 0.0) + idf[token]
        # rank the likeliest again on every looked-up token, read or not
        shortlist = heapq.nlargest(self.SHORTLIST, scores, key=scores.__getitem__)
        ranked = heapq.nlargest(
            self.CANDIDATES,
            shortlist,
            key=lambda i: sum(w for t, w in idf.items() if t in self._entries[i].tokens),
        )
        best: _Alerted | None = None
        for ident in ranked:
            entry = self._entries[ident]
            if entry.when < since or (best is not None and entry.when >= best.when):
                continue
            if same_story(sig, entry.sig):
                best = entry
        return None if best is None else best.key

    def prune(self, before: datetime) -> None:
        """Forget the stories alerted before `before`."""
        old = [i for i, e in self._entries.items() if e.when < before]
        if not old:
            return
        dirty: set[str] = set()
        for ident in old:
            dirty |= self._entries.pop(ident).tokens
        for token in dirty:
            kept = [i for i in self._postings[token] if i in self._entries]
            if kept:
                self._postings[token] = kept
            else:
                del self._postings[token]
