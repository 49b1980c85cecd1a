"""Words that mark identifier columns, in English and the main EU languages.

Column names are split into lowercase ASCII tokens (accents dropped, ``ß`` as ``ss``,
camelCase split), connector words (``of``, ``de``, ``di``, ``van`` ...) removed. A vocabulary
entry is a tuple of tokens that must appear in a row; the longest match over all types wins.
A name that also holds a token of the type's ``CANCEL`` set (``count``, ``type``, ``year`` ...)
describes a property of an identifier, not the identifier itself, and is not flagged by name.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _entries(*items: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(item.split()) for item in items)


CONNECTORS = _words(
    "of the de di du da del della des la le el van von der den het do dos das und et"
)

VOCABULARY: dict[str, frozenset[tuple[str, ...]]] = {
    "person_name": _entries(
        # English
        "name",
        "names",
        "first name",
        "firstname",
        "forename",
        "forenames",
        "given name",
        "givenname",
        "surname",
        "surnames",
        "last name",
        "lastname",
        "family name",
        "familyname",
        "full name",
        "fullname",
        "middle name",
        "maiden name",
        "birth name",
        "alias",
        "aliases",
        "person name",
        "offender name",
        "suspect name",
        "victim name",
        # German
        "vorname",
        "vornamen",
        "nachname",
        "familienname",
        "geburtsname",
        "rufname",
        # French
        "nom",
        "prenom",
        "prenoms",
        "nom famille",
        "patronyme",
        # Spanish
        "nombre",
        "nombres",
        "apellido",
        "apellidos",
        "nombre completo",
        # Italian
        "nome",
        "cognome",
        "nominativo",
        # Portuguese
        "sobrenome",
        "apelido",
        "nome completo",
        # Dutch
        "naam",
        "voornaam",
        "achternaam",
        "familienaam",
        "roepnaam",
        # Polish, Czech, Romanian, Hungarian
        "imie",
        "nazwisko",
        "imiona",
        "jmeno",
        "prijmeni",
        "nume",
        "prenume",
        "vezeteknev",
        "keresztnev",
        # Nordic and Finnish
        "namn",
        "fornamn",
        "efternamn",
        "navn",
        "fornavn",
        "efternavn",
        "etternavn",
        "nimi",
        "etunimi",
        "sukunimi",
    ),
    "username": _entries(
        "username",
        "user name",
        "screen name",
        "screenname",
        "handle",
        "nickname",
        "nick",
        "login",
        "account name",
        "benutzername",
        "pseudo",
        "nom utilisateur",
        "usuario",
        "nombre usuario",
        "nome utente",
        "gebruikersnaam",
        "gamertag",
    ),
    "email": _entries(
        "email",
        "emails",
        "e mail",
        "mail",
        "email address",
        "emailaddress",
        "mail address",
        "correo",
        "correo electronico",
        "courriel",
        "adresse mail",
        "adresse electronique",
        "posta elettronica",
        "indirizzo email",
        "emailadres",
        "e post",
        "epost",
        "sahkoposti",
    ),
    "phone": _entries(
        "phone",
        "phones",
        "phone number",
        "phonenumber",
        "telephone",
        "tel",
        "telefon",
        "telefonnummer",
        "telefono",
        "telefone",
        "telefoon",
        "telefoonnummer",
        "mobile",
        "mobile number",
        "mobil",
        "mobilnummer",
        "cellphone",
        "cell phone",
        "cell number",
        "handy",
        "handynummer",
        "movil",
        "celular",
        "cellulare",
        "portable",
        "gsm",
        "msisdn",
        "fax",
        "numero telefono",
        "numero telephone",
        "numero portable",
        "puhelin",
        "puhelinnumero",
    ),
    "date_of_birth": _entries(
        "dob",
        "birthdate",
        "birth date",
        "birthday",
        "date birth",
        "dateofbirth",
        "born on",
        "geburtsdatum",
        "geburtstag",
        "gebdat",
        "fecha nacimiento",
        "nacimiento",
        "date naissance",
        "datenaissance",
        "naissance",
        "data nascita",
        "nascita",
        "geboortedatum",
        "data nascimento",
        "nascimento",
        "data urodzenia",
        "urodzenia",
        "fodelsedatum",
        "fodselsdato",
        "foedselsdato",
        "syntymaaika",
        "datum narozeni",
    ),
    "national_id": _entries(
        "ssn",
        "social security",
        "social security number",
        "national id",
        "national identity",
        "national number",
        "national insurance",
        "national insurance number",
        "nino",
        "passport",
        "passport number",
        "id card",
        "identity card",
        "idcard",
        "id number",
        "identity number",
        "personalausweis",
        "ausweisnummer",
        "ausweis",
        "steuer id",
        "steuerid",
        "steueridentifikationsnummer",
        "sozialversicherungsnummer",
        "svnr",
        "dni",
        "nie",
        "nif",
        "nir",
        "insee",
        "numero securite sociale",
        "securite sociale",
        "codice fiscale",
        "codicefiscale",
        "carta identita",
        "bsn",
        "burgerservicenummer",
        "pesel",
        "personnummer",
        "cpr",
        "henkilotunnus",
        "hetu",
        "tax id",
        "taxid",
        "documento identidad",
        "cartao cidadao",
        "rijksregisternummer",
    ),
    "case_number": _entries(
        "case number",
        "case no",
        "case nr",
        "case ref",
        "case reference",
        "casenumber",
        "caseno",
        "caseref",
        "file number",
        "file reference",
        "docket",
        "docket number",
        "aktenzeichen",
        "az",
        "geschaftszeichen",
        "numero expediente",
        "expediente",
        "numero dossier",
        "numero procedimiento",
        "numero procedimento",
        "numero fascicolo",
        "fascicolo",
        "zaaknummer",
        "zaak nummer",
        "parketnummer",
        "crime reference",
        "crime number",
        "incident number",
        "report number",
        "police reference",
        "reference number",
        "sygnatura",
    ),
    "ip_address": _entries(
        "ip",
        "ipv4",
        "ipv6",
        "ip address",
        "ipaddress",
        "ip adresse",
        "ipadresse",
        "direccion ip",
        "adresse ip",
        "indirizzo ip",
        "ipadres",
        "endereco ip",
        "adres ip",
        "ip addr",
        "src ip",
        "dst ip",
        "source ip",
        "client ip",
    ),
    "street_address": _entries(
        "address",
        "addresses",
        "street",
        "street address",
        "street name",
        "home address",
        "postal address",
        "mailing address",
        "residential address",
        "house number",
        "adresse",
        "anschrift",
        "strasse",
        "wohnadresse",
        "hausnummer",
        "direccion",
        "domicilio",
        "calle",
        "indirizzo",
        "adres",
        "straat",
        "woonadres",
        "huisnummer",
        "morada",
        "endereco",
        "rua",
        "ulica",
        "adresa",
        "osoite",
        "gatuadress",
    ),
    "free_text": _entries(
        "notes",
        "note",
        "comment",
        "comments",
        "description",
        "narrative",
        "remarks",
        "remark",
        "text",
        "free text",
        "freetext",
        "statement",
        "observations",
        "memo",
        "bemerkung",
        "bemerkungen",
        "notiz",
        "notizen",
        "beschreibung",
        "kommentar",
        "sachverhalt",
        "anmerkung",
        "observaciones",
        "comentario",
        "comentarios",
        "descripcion",
        "notas",
        "remarque",
        "remarques",
        "commentaire",
        "commentaires",
        "osservazioni",
        "commento",
        "descrizione",
        "opmerking",
        "opmerkingen",
        "beschrijving",
        "toelichting",
        "observacoes",
        "uwagi",
        "opis",
    ),
}

# Tokens that turn a name into a property of an identifier (a count, a type, a flag ...).
COMMON_CANCEL = _words(
    """count counts cnt total sum share pct percent rate ratio score flag has is type types
    kind category categories level length len missing valid validated verified known consent
    format domain provider country region city language changed changes year years month age
    weight order cohort n quality status"""
)

CANCEL: dict[str, frozenset[str]] = {
    "person_name": COMMON_CANCEL
    | _words("""file product group team unit agency organisation organization org company firm
        business station place location site dataset table column variable field model
        programme program project offence offense crime brand host street road town village
        municipality county state district school hospital court prison police department
        service event operation app platform website channel device network role"""),
    "username": COMMON_CANCEL | _words("file host"),
    "date_of_birth": COMMON_CANCEL
    | _words("""place lugar lieu ort luogo plaats local pais pays land jahr ano annee anno jaar
        weight order"""),
    "street_address": COMMON_CANCEL | _words("ip mac web url"),
}

# Priority when two types match equally long phrases (most specific first).
PRIORITY = (
    "email",
    "ip_address",
    "date_of_birth",
    "national_id",
    "case_number",
    "phone",
    "username",
    "person_name",
    "street_address",
    "free_text",
)

# A lexicon of common given names (European and English), lowercase ASCII, for value-based
# detection of person names.
GIVEN_NAMES = _words("""
    aaron abdul abdullah adam adele adrian adriana agata agnes agnieszka ahmed aidan aino
    aisha alan albert alberto aleksander alessandra alessandro alexander alexandra alexandre
    alexis alfie alfred ali alice alicia alina alma amanda amelia amelie ana anders andrea
    andreas andrei andrew andrzej angela angelika angelo anja anna anne annika anton antonio
    ariadna arthur astrid aurelie barbara bart bartosz beatriz ben benjamin bernard bernd
    bettina bianca birgit bjorn blanca bogdan boris bram brigitte bruno camille carla carlos
    carmen carolina caroline catalina catherine cecilia celine charles charlotte chiara
    chloe christian christina christine christoph christopher claire clara claudia colin
    constantin cristina daan dagmar damian daniel daniela danielle dario david denis dennis
    diana diego dimitri dominik dorota edward elena elias elif elin elisa elisabeth eliza
    ella ellen elsa ema emil emilia emily emma enzo erik erika ernst esther eva evelyn ewa
    fabian fatima federico felix fernando filip filippo finn florian francesca francesco
    francisco franz freja frida gabriel gabriela gabriele george georg gerhard gianluca
    giorgia giovanni giulia giuseppe gonzalo grace greta gustav hana hanna hannah hans
    harry heinz helen helena helga hendrik henri henrik henry hugo ida ines inga ingrid irene
    isabel isabella isabelle ivan ivana jack jacob jakob jakub james jan jana janina jasper
    javier jean jens jessica joanna joao johan johanna johannes john jonas jorge jose josef
    joseph juan julia julian julie julien jurgen justyna kamil karin karl karolina kasper
    katarina katharina katrin kevin kim klara krzysztof kurt lara lars laura lea leah lena
    leo leon leonardo leonie lewis liam lidia lina linda lisa liv lorenzo louis louise luca
    lucas lucia lucy ludwig luis luisa luka lukas maciej magdalena maja malgorzata manon
    manuel marc marcel marco marek margaret margarita maria marie marina mario marion marius
    mark marko marta martin martina mateo mateusz mathilde matteo matthias max maximilian
    maya mehmet mia michael michal michel michele miguel mikael mila milan mohamed mohammed
    monika nadia natalia nathalie nicolas niels nikola nikolai nils nina noah noemi nora
    oliver olivia olga oscar pablo paola patricia patrick paul paula paulina pavel pawel
    pedro peter petra philipp pierre piotr rafael rafal raul rebecca renata ricardo richard
    rita robert roberto rosa ruben ruth sabine sabrina samuel sandra sara sarah sebastian
    sergio simon simone sofia sofie sophie stefan stefano stephanie susanne svenja sylvia
    teresa theo thomas tim tobias tom tomas tomasz ulrike ursula valentina valeria vanessa
    vera veronica victor viktor vincent violetta wiktoria william wojciech yusuf zofia zoe
    """)

STREET_WORDS = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|close|court|place|square|boulevard|"
    "blvd|terrace|strasse|str|gasse|weg|allee|platz|ring|damm|calle|avenida|paseo|plaza|"
    "carrer|rue|chemin|impasse|allee|via|viale|piazza|corso|vicolo|straat|laan|plein|gracht|"
    "kade|singel|rua|travessa|largo|ulica|ul|aleja|gatan|vagen|gade|vej|katu|tie"
)
