"""`manage.py seed_demo`: a deterministic, realistic demo data set.

Builds about 64 initiatives of the Politecnico's community with their people,
partner organisations, places in Piedmont, products, impacts and workflow
history, two census campaigns, some territorial demand and three accounts
(admin, curatore, ricercatrice; password "pops-demo-2026"). Every object is
built by the factories in */factories.py; every random choice is seeded, and
every date derives from fixed dates, so two runs give the same data.

Demo rows are recognised by the change reason of their first history record
("seed_demo"), so `--reset` removes them and nothing else.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

import factory
import factory.random
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from simple_history.signals import pre_create_historical_record

from actionplan.models import InterventionArea, PerformanceObjective, StrategicObjective
from impact.factories import ImpactFactory, ProductFactory
from impact.models import SDG, FieldOfAction, Impact, Product, ProductCategory, PublicEngagementCategory
from initiatives.factories import (
    DEMO_PASSWORD,
    PIEDMONT_LOCATIONS,
    SENIOR_ROLES,
    CampaignInvitationFactory,
    CensusCampaignFactory,
    InitiativeFactory,
    ParticipationFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
    aware,
)
from initiatives.models import (
    CampaignInvitation,
    CensusCampaign,
    Competence,
    Department,
    Initiative,
    Participation,
    Person,
    Place,
    Priority,
    Sector,
    StateTransition,
    SupportKind,
    Theme,
)
from pops.reference_data import load_reference_data
from stakeholders.factories import (
    OrganisationFactory,
    PartnershipFactory,
    TerritorialDemandFactory,
    organisation_email,
)
from stakeholders.models import Organisation, OrganisationType, Partnership, TargetGroup, TerritorialDemand

SEED = 2026
DEMO_MARK = "seed_demo"
DEMO_USERNAMES = ("admin", "curatore", "ricercatrice")
APPS = ("actionplan", "initiatives", "stakeholders", "impact")
CURATORS_GROUP = "POPS curators"
REPORTING_YEAR = 2025
# The demo's "now": nothing happens after this moment.
DEMO_NOW = aware(datetime.date(2026, 11, 16), 18)
State = Initiative.State

# --- Where -------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    group: str  # "quartiere" (a Turin neighbourhood), "comune", "area" or "special"
    it: str  # reads after the title's head: "... a Barriera di Milano"
    en: str
    locations: tuple[str, ...]  # keys of PIEDMONT_LOCATIONS
    scale: str = Initiative.Scale.LOCAL


SETTINGS = [
    Setting("quartiere", "a Barriera di Milano", "in Barriera di Milano", ("Barriera di Milano",)),
    Setting("quartiere", "ad Aurora", "in Aurora", ("Aurora",)),
    Setting("quartiere", "a Porta Palazzo", "in Porta Palazzo", ("Porta Palazzo",)),
    Setting("quartiere", "a Mirafiori Sud", "in Mirafiori Sud", ("Mirafiori Sud",)),
    Setting("quartiere", "a Mirafiori Nord", "in Mirafiori Nord", ("Mirafiori Nord",)),
    Setting("quartiere", "alle Vallette", "in Le Vallette", ("Vallette",)),
    Setting("quartiere", "in Falchera", "in Falchera", ("Falchera",)),
    Setting("quartiere", "a San Salvario", "in San Salvario", ("San Salvario",)),
    Setting("quartiere", "a Borgo Vittoria", "in Borgo Vittoria", ("Borgo Vittoria",)),
    Setting("quartiere", "al Lingotto", "in Lingotto", ("Lingotto",)),
    Setting("quartiere", "a Regio Parco", "in Regio Parco", ("Regio Parco",)),
    Setting("quartiere", "a Pozzo Strada", "in Pozzo Strada", ("Pozzo Strada",)),
    Setting("comune", "a Moncalieri", "in Moncalieri", ("Moncalieri",)),
    Setting("comune", "a Collegno", "in Collegno", ("Collegno",)),
    Setting("comune", "a Grugliasco", "in Grugliasco", ("Grugliasco",)),
    Setting("comune", "a Rivoli", "in Rivoli", ("Rivoli",)),
    Setting("comune", "a Settimo Torinese", "in Settimo Torinese", ("Settimo Torinese",)),
    Setting("comune", "a Chieri", "in Chieri", ("Chieri",)),
    Setting("comune", "a Nichelino", "in Nichelino", ("Nichelino",)),
    Setting("comune", "a Venaria Reale", "in Venaria Reale", ("Venaria Reale",)),
    Setting("comune", "a Ivrea", "in Ivrea", ("Ivrea",)),
    Setting("comune", "a Pinerolo", "in Pinerolo", ("Pinerolo",)),
    Setting("comune", "a Carmagnola", "in Carmagnola", ("Carmagnola",)),
    Setting("comune", "a Biella", "in Biella", ("Biella",)),
    Setting("comune", "a Cuneo", "in Cuneo", ("Cuneo",)),
    Setting("comune", "ad Alba", "in Alba", ("Alba",)),
    Setting("comune", "a Bra", "in Bra", ("Bra",)),
    Setting("comune", "a Mondovì", "in Mondovì", ("Mondovì",)),
    Setting("comune", "ad Alessandria", "in Alessandria", ("Alessandria",)),
    Setting("comune", "a Casale Monferrato", "in Casale Monferrato", ("Casale Monferrato",)),
    Setting("comune", "ad Asti", "in Asti", ("Asti",)),
    Setting("comune", "a Novara", "in Novara", ("Novara",)),
    Setting("comune", "a Vercelli", "in Vercelli", ("Vercelli",)),
    Setting("comune", "a Verbania", "in Verbania", ("Verbania",)),
    Setting(
        "area",
        "nell'area metropolitana di Torino",
        "in the Turin metropolitan area",
        ("Torino", "Collegno", "Settimo Torinese"),
        Initiative.Scale.REGIONAL,
    ),
    Setting(
        "area",
        "nelle aree interne del Piemonte",
        "in Piedmont's inner areas",
        ("Susa", "Mondovì", "Biella"),
        Initiative.Scale.REGIONAL,
    ),
    Setting(
        "area", "in Piemonte", "in Piedmont", ("Torino", "Cuneo", "Alessandria", "Novara"), Initiative.Scale.REGIONAL
    ),
    Setting(
        "area",
        "in diverse città italiane, a partire da Torino",
        "in several Italian cities, starting from Turin",
        ("Torino", "Novara"),
        Initiative.Scale.NATIONAL,
    ),
    Setting(
        "area",
        "in una rete di città europee con Torino capofila",
        "in a network of European cities led by Turin",
        ("Torino",),
        Initiative.Scale.INTERNATIONAL,
    ),
]
PRISON = Setting("special", "nella Casa circondariale di Torino", "in Turin's prison", ("Vallette",))


# --- What: the curated topics titles and texts are composed from ---------------------


@dataclass(frozen=True)
class Topic:
    key: str
    names: tuple[str, ...]  # project names, one per initiative
    heads: tuple[tuple[str, str], ...]  # (it, en), read before the setting
    lead_sentence: tuple[str, str]  # with {name} and {where}
    method: tuple[str, str]
    objectives: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]
    departments: tuple[str, ...]
    sectors: tuple[str, ...]
    themes: tuple[str, ...]
    sdgs: tuple[int, ...]
    support: tuple[str, ...]
    targets: tuple[str, ...]
    fields: tuple[str, ...]  # ANVUR fields of action
    pe: tuple[str, ...]  # ANVUR public-engagement categories
    areas: tuple[str, ...]  # Action Plan intervention areas
    products: tuple[tuple[str, str, str], ...]  # (category, title, description)
    impacts: tuple[tuple[str, str, str, str, int, int], ...]  # (category, indicator, unit, description, base, target)
    partners: tuple[str, ...]
    groups: tuple[str, ...] = ("quartiere", "comune", "area")
    preferred: tuple[str, ...] = ()  # settings (their `it`) used first, in order


SFERA_PUBBLICA = "sfera-pubblica-e-promozione-dellimpatto-sociale-dellateneo"
POLICY = "supporto-al-policy-e-decision-making-governativo-territoriale-nazionale-ed-europeo"
COMMUNITY = "rafforzamento-dei-legami-di-comunita"

TOPICS = [
    Topic(
        key="abitare",
        names=("AbitAbile", "CasaComune", "Abitare Possibile", "Soglie"),
        heads=(
            (
                "Co-progettazione di alloggi accessibili per persone anziane",
                "Co-design of accessible homes for older people",
            ),
            (
                "Adattamento partecipato delle case popolari per l'autonomia delle persone con disabilità",
                "Participatory adaptation of social housing for the independence of people with disabilities",
            ),
            (
                "Abitare collaborativo e servizi di prossimità nell'edilizia pubblica",
                "Collaborative living and neighbourhood services in public housing",
            ),
        ),
        lead_sentence=(
            "{name} coinvolge inquilini, tecnici e operatori sociali {where} nella riprogettazione di alloggi e spazi "
            "comuni, perché chi invecchia o vive con una disabilità possa restare a casa propria in sicurezza.",
            "{name} brings tenants, technicians and social workers together {where} to redesign homes and shared "
            "spaces, so that people who are ageing or living with a disability can stay safely in their own homes.",
        ),
        method=(
            "Il gruppo di ricerca ha condotto sopralluoghi e laboratori di co-progettazione con gli abitanti, "
            "traducendo i bisogni emersi in soluzioni a basso costo e replicabili.",
            "The research team ran site visits and co-design workshops with residents, turning the needs that "
            "emerged into low-cost, replicable solutions.",
        ),
        objectives=(
            (
                "Rilevare le barriere architettoniche negli alloggi e negli spazi comuni",
                "Survey architectural barriers in homes and shared spaces",
            ),
            (
                "Definire con gli inquilini un catalogo di adattamenti a basso costo",
                "Agree with tenants on a catalogue of low-cost adaptations",
            ),
            ("Realizzare interventi pilota e valutarne l'efficacia", "Carry out pilot works and assess them"),
            (
                "Formare tecnici e operatori sull'accessibilità domestica",
                "Train technicians and social workers in home accessibility",
            ),
        ),
        keywords=("abitare accessibile", "co-progettazione", "anziani", "edilizia sociale", "domotica"),
        departments=("DAD", "DISEG", "DIST"),
        sectors=("servizi-sociali", "gestione-territorio"),
        themes=("accessibilita", "inclusione-fragili"),
        sdgs=(11, 10, 3),
        support=("co-progettazione", "ricerca"),
        targets=("anziani", "persone-con-disabilita"),
        fields=("h", "j"),
        pe=("PE24-2",),
        areas=(COMMUNITY, "sostenibilita"),
        products=(
            (
                "edifici-spazi",
                "Alloggio pilota adattato",
                "Un alloggio ristrutturato insieme agli inquilini, modello replicabile per l'edilizia pubblica.",
            ),
            (
                "analisi-piani-territorio",
                "Catalogo delle soluzioni di adattamento domestico",
                "Schede tecniche con costi indicativi e tempi di realizzazione.",
            ),
            (
                "comunicazione-divulgazione",
                "Guida illustrata per inquilini e amministratori",
                "Una guida in linguaggio semplice sull'adattamento della casa.",
            ),
        ),
        impacts=(
            (
                "social",
                "Alloggi adattati",
                "alloggi",
                "Più persone anziane o con disabilità vivono in alloggi adatti alle loro esigenze.",
                0,
                25,
            ),
            (
                "health",
                "Cadute domestiche segnalate tra gli inquilini",
                "eventi/anno",
                "Meno incidenti domestici tra gli inquilini coinvolti.",
                18,
                8,
            ),
        ),
        partners=("ATC del Piemonte Centrale", "CPD – Consulta per le Persone in Difficoltà", "ANFFAS Torino"),
        groups=("quartiere", "comune"),
        preferred=("alle Vallette", "a Mirafiori Sud"),
    ),
    Topic(
        key="energia",
        names=("SolEquo", "Energia di Quartiere", "CER Solidale", "Sole per Tutti"),
        heads=(
            ("Comunità energetica rinnovabile e solidale", "A renewable, solidarity-based energy community"),
            (
                "Contrasto alla povertà energetica con audit domestici partecipati",
                "Tackling energy poverty through participatory home energy audits",
            ),
            (
                "Fotovoltaico condiviso sui tetti degli edifici pubblici",
                "Shared solar power on the roofs of public buildings",
            ),
        ),
        lead_sentence=(
            "{name} accompagna famiglie, scuole e piccole imprese {where} nella costituzione di una comunità "
            "energetica, destinando parte dei benefici economici alle famiglie in povertà energetica.",
            "{name} supports families, schools and small businesses {where} in setting up an energy community, "
            "channelling part of the savings to households in energy poverty.",
        ),
        method=(
            "Il Politecnico ha curato il dimensionamento degli impianti, il modello di governance e la formazione "
            "di tutor energetici tra gli abitanti.",
            "The Politecnico sized the plants, designed the governance model and trained energy tutors among the "
            "residents.",
        ),
        objectives=(
            ("Dimensionare gli impianti e stimarne i benefici", "Size the plants and estimate their benefits"),
            (
                "Definire statuto e regole di ripartizione degli incentivi",
                "Draft the statute and the rules for sharing incentives",
            ),
            ("Formare tutor energetici tra gli abitanti", "Train energy tutors among the residents"),
            (
                "Ridurre la spesa energetica delle famiglie vulnerabili",
                "Reduce the energy bills of vulnerable households",
            ),
        ),
        keywords=("comunità energetiche", "povertà energetica", "fotovoltaico", "transizione ecologica", "autoconsumo"),
        departments=("DENERG", "DIST", "DIGEP"),
        sectors=("economia-sociale", "gestione-territorio"),
        themes=("sviluppo-equo-territorio", "innovazione-sociale"),
        sdgs=(7, 13, 1),
        support=("co-progettazione", "strumenti-indirizzo-strategico", "formazione-risorse"),
        targets=("comunita-locali", "comunita-fragili"),
        fields=("j", "c"),
        pe=("PE24-2",),
        areas=("sostenibilita", "collaborazione-con-istituzioni-e-imprese"),
        products=(
            (
                "dispositivi-sistemi",
                "Piattaforma di monitoraggio dei consumi della comunità energetica",
                "Un cruscotto che mostra produzione, consumi e benefici condivisi in tempo reale.",
            ),
            (
                "analisi-piani-territorio",
                "Studio di fattibilità tecnico-economica",
                "Analisi dei tetti disponibili, dei profili di consumo e dei ritorni economici.",
            ),
            (
                "reti-comunita",
                "Rete dei tutor energetici di quartiere",
                "Abitanti formati che aiutano le famiglie a leggere le bollette e a ridurre i consumi.",
            ),
        ),
        impacts=(
            (
                "environmental",
                "Energia rinnovabile condivisa",
                "MWh/anno",
                "Più energia rinnovabile prodotta e consumata localmente.",
                0,
                450,
            ),
            (
                "economic",
                "Risparmio medio in bolletta per famiglia vulnerabile",
                "€/anno",
                "Bollette più leggere per le famiglie in povertà energetica.",
                0,
                220,
            ),
            (
                "social",
                "Famiglie in povertà energetica sostenute",
                "famiglie",
                "Famiglie accompagnate dai tutor energetici.",
                0,
                120,
            ),
        ),
        partners=(
            "Iren S.p.A.",
            "Environment Park S.p.A.",
            "Legambiente Piemonte e Valle d'Aosta",
            "EnerComune S.r.l. SB",
        ),
    ),
    Topic(
        key="scuola",
        names=("FabLab a Scuola", "STEM per Tutte e Tutti", "Officina Ragazzi", "Mani in Pasta"),
        heads=(
            (
                "Laboratori STEM inclusivi nelle scuole secondarie di primo grado",
                "Inclusive STEM labs in lower secondary schools",
            ),
            (
                "Robotica educativa contro la dispersione scolastica",
                "Educational robotics against early school leaving",
            ),
            ("Laboratori di coding e making per ragazze e ragazzi", "Coding and making workshops for girls and boys"),
        ),
        lead_sentence=(
            "{name} porta studenti e docenti del Politecnico nelle scuole {where} con laboratori pratici di scienza "
            "e tecnologia, pensati per coinvolgere chi è a rischio di abbandono e avvicinare le ragazze alle "
            "materie STEM.",
            "{name} brings Politecnico students and staff into schools {where} with hands-on science and technology "
            "workshops designed to engage pupils at risk of dropping out and to bring girls closer to STEM subjects.",
        ),
        method=(
            "I laboratori sono co-progettati con gli insegnanti e condotti da studenti tutor formati dal Politecnico.",
            "The workshops are co-designed with teachers and run by student tutors trained by the Politecnico.",
        ),
        objectives=(
            ("Ridurre la dispersione scolastica nelle classi coinvolte", "Reduce early school leaving in the classes"),
            ("Aumentare l'interesse delle ragazze per le materie STEM", "Raise girls' interest in STEM subjects"),
            ("Formare gli insegnanti alla didattica laboratoriale", "Train teachers in lab-based teaching"),
            ("Rendere disponibili kit didattici aperti", "Make open teaching kits available"),
        ),
        keywords=("scuola", "STEM", "inclusione", "dispersione scolastica", "parità di genere"),
        departments=("DAUIN", "DISAT", "DISMA", "DET"),
        sectors=("servizi-educativi",),
        themes=("inclusione-fragili", "accessibilita"),
        sdgs=(4, 5, 10),
        support=("formazione-risorse", "co-progettazione"),
        targets=("scuole", "bambini-famiglie"),
        fields=("g", "f"),
        pe=("PE24-4",),
        areas=("orientamento-studenti-in-ingresso-e-in-itinere", "valorizzazione-delle-diversita"),
        products=(
            (
                "strumenti-educativi",
                "Kit didattici di robotica open source",
                "Schede, modelli 3D e codice per replicare i laboratori in altre scuole.",
            ),
            (
                "strumenti-educativi",
                "Griglia di osservazione dell'apprendimento nei laboratori",
                "Uno strumento per gli insegnanti per osservare partecipazione e apprendimenti.",
            ),
            (
                "comunicazione-divulgazione",
                "Mostra finale dei progetti delle classi",
                "Un evento aperto alle famiglie con i prototipi realizzati dagli studenti.",
            ),
        ),
        impacts=(
            (
                "educational",
                "Studenti coinvolti nei laboratori",
                "studenti",
                "Più studenti sperimentano attività pratiche di scienza e tecnologia.",
                0,
                600,
            ),
            (
                "educational",
                "Quota di ragazze nei laboratori facoltativi",
                "%",
                "Più ragazze scelgono le attività STEM facoltative.",
                30,
                50,
            ),
        ),
        partners=(
            "Ufficio Scolastico Regionale per il Piemonte",
            'Istituto Tecnico Industriale "Amedeo Avogadro"',
            'Istituto Comprensivo "Sandro Pertini"',
            "Acmos",
        ),
    ),
    Topic(
        key="rigenerazione",
        names=("Periferie al Centro", "QuartiereLab", "Trame di Quartiere", "Piano Terra"),
        heads=(
            ("Rigenerazione partecipata degli spazi pubblici", "Participatory regeneration of public spaces"),
            ("Riuso temporaneo dei locali sfitti al piano terra", "Temporary reuse of vacant ground-floor premises"),
            (
                "Un laboratorio di quartiere per la co-progettazione dei cortili",
                "A neighbourhood lab for the co-design of courtyards",
            ),
        ),
        lead_sentence=(
            "{name} apre {where} un laboratorio di quartiere in cui abitanti, associazioni e studenti progettano "
            "insieme la trasformazione di piazze, cortili e locali inutilizzati.",
            "{name} opens a neighbourhood lab {where} where residents, associations and students jointly design the "
            "transformation of squares, courtyards and unused premises.",
        ),
        method=(
            "Passeggiate esplorative, mappe di comunità e tavoli di co-progettazione hanno portato a un masterplan "
            "condiviso con la Circoscrizione.",
            "Exploratory walks, community maps and co-design tables led to a masterplan shared with the district "
            "council.",
        ),
        objectives=(
            ("Costruire un quadro condiviso dei bisogni del quartiere", "Build a shared picture of local needs"),
            ("Riattivare locali sfitti con funzioni di comunità", "Reopen vacant premises for community uses"),
            ("Accompagnare l'amministrazione nelle scelte progettuali", "Support the administration's design choices"),
            (
                "Rafforzare le reti tra associazioni e abitanti",
                "Strengthen networks between associations and residents",
            ),
        ),
        keywords=("rigenerazione urbana", "periferie", "spazio pubblico", "partecipazione", "beni comuni"),
        departments=("DIST", "DAD", "DIATI"),
        sectors=("gestione-territorio", "social-policy-making"),
        themes=("sviluppo-equo-territorio", "partecipazione-sociale"),
        sdgs=(11, 10, 16),
        support=("co-progettazione", "strumenti-indirizzo-strategico"),
        targets=("comunita-locali", "cittadinanza"),
        fields=("h", "j", "d"),
        pe=("PE24-2", "PE24-3"),
        areas=(COMMUNITY, "spazi-comuni", POLICY),
        products=(
            (
                "analisi-piani-territorio",
                "Analisi quali-quantitativa del quartiere",
                "Dati statistici, mappe e interviste sui bisogni e sulle risorse del quartiere.",
            ),
            (
                "reti-comunita",
                "Community hub nei locali riattivati",
                "Uno spazio gestito da associazioni e abitanti, aperto tutti i giorni.",
            ),
            (
                "analisi-piani-territorio",
                "Masterplan condiviso degli spazi pubblici",
                "Le proposte di trasformazione discusse e approvate nei tavoli di quartiere.",
            ),
        ),
        impacts=(
            (
                "social",
                "Locali sfitti riattivati",
                "locali",
                "Piani terra tornati a ospitare servizi e attività.",
                0,
                12,
            ),
            (
                "social",
                "Abitanti partecipanti ai laboratori",
                "persone",
                "Più abitanti prendono parte alle decisioni sul quartiere.",
                0,
                400,
            ),
            (
                "cultural",
                "Eventi pubblici negli spazi rigenerati",
                "eventi",
                "Spazi rigenerati vissuti dalla comunità.",
                0,
                40,
            ),
        ),
        partners=("Torino Urban Lab", "Rete delle Case del Quartiere", "Fondazione di Comunità Porta Palazzo"),
        groups=("quartiere", "comune"),
        preferred=("a Barriera di Milano", "a Mirafiori Sud", "ad Aurora"),
    ),
    Topic(
        key="digitale",
        names=("Nonni Digitali", "Connessi", "Click Insieme", "Rete Amica"),
        heads=(
            ("Alfabetizzazione digitale per persone anziane", "Digital literacy for older people"),
            (
                "Sportelli di facilitazione digitale per l'accesso ai servizi pubblici",
                "Digital help desks for access to public services",
            ),
            (
                "Studenti tutor per l'uso sicuro di smartphone e servizi online",
                "Student tutors for the safe use of smartphones and online services",
            ),
        ),
        lead_sentence=(
            "{name} offre {where} corsi e sportelli in cui studenti del Politecnico affiancano persone anziane "
            "nell'uso di smartphone, SPID, fascicolo sanitario elettronico e servizi online, riducendo il divario "
            "digitale.",
            "{name} runs courses and help desks {where} where Politecnico students help older people use "
            "smartphones, the SPID digital identity, electronic health records and online services, narrowing the "
            "digital divide.",
        ),
        method=(
            "Gli incontri si svolgono nelle Case del quartiere e nelle biblioteche civiche, con materiali in "
            "linguaggio semplice e ad alta leggibilità.",
            "Sessions are held in community centres and public libraries, with plain-language, high-readability "
            "materials.",
        ),
        objectives=(
            ("Rendere autonome le persone anziane nei servizi digitali", "Make older people independent online"),
            ("Prevenire truffe e rischi online", "Prevent online scams and risks"),
            ("Formare studenti come facilitatori digitali", "Train students as digital facilitators"),
            ("Mettere a disposizione materiali in linguaggio semplice", "Provide plain-language materials"),
        ),
        keywords=("divario digitale", "anziani", "competenze digitali", "SPID", "cittadinanza digitale"),
        departments=("DAUIN", "DET", "DIGEP"),
        sectors=("servizi-educativi", "servizi-sociali"),
        themes=("inclusione-fragili", "accessibilita"),
        sdgs=(4, 10, 3),
        support=("formazione-risorse",),
        targets=("anziani", "cittadinanza"),
        fields=("f", "g"),
        pe=("PE24-1", "PE24-2"),
        areas=(
            "formazione-sui-temi-delle-transizioni-ecologica-e-digitale",
            "supporto-alla-popolazione-studentesca-e-coinvolgimento-nella-formazione",
        ),
        products=(
            (
                "strumenti-educativi",
                "Manuale in linguaggio semplice per i servizi digitali della PA",
                "Istruzioni passo per passo, con caratteri grandi e immagini.",
            ),
            (
                "processi-inclusione",
                "Modello di sportello di facilitazione digitale",
                "Organizzazione, turni e formazione dei tutor, pronti per essere replicati.",
            ),
            (
                "comunicazione-divulgazione",
                "Videopillole sui servizi online",
                "Brevi video sottotitolati pubblicati sui canali delle biblioteche.",
            ),
        ),
        impacts=(
            (
                "educational",
                "Persone anziane che usano SPID in autonomia",
                "persone",
                "Più persone anziane accedono da sole ai servizi pubblici online.",
                0,
                300,
            ),
            (
                "social",
                "Ore di tutoraggio erogate dagli studenti",
                "ore",
                "Tempo dedicato dagli studenti alla comunità.",
                0,
                1200,
            ),
        ),
        partners=("AUSER Torino", "Rete delle Case del Quartiere", "Arci Torino"),
    ),
    Topic(
        key="ausili",
        names=("ManoAmica", "AutonomiaLab", "Passo Dopo Passo", "Open Ausili"),
        heads=(
            (
                "Ausili open source stampati in 3D per persone con disabilità motoria",
                "Open-source 3D-printed aids for people with motor disabilities",
            ),
            (
                "Esoscheletri leggeri per la riabilitazione domiciliare",
                "Lightweight exoskeletons for home rehabilitation",
            ),
            (
                "Interfacce accessibili per la comunicazione aumentativa",
                "Accessible interfaces for augmentative communication",
            ),
        ),
        lead_sentence=(
            "{name} sviluppa {where}, con terapisti, utenti e famiglie, ausili tecnologici a basso costo progettati "
            "su misura e rilasciati con licenza aperta, perché laboratori e associazioni possano riprodurli.",
            "{name} develops low-cost assistive devices {where} with therapists, users and families, custom-designed "
            "and released under an open licence so that labs and associations can reproduce them.",
        ),
        method=(
            "Ogni ausilio nasce da un ciclo di co-design con chi lo userà ed è validato con i servizi di "
            "riabilitazione dell'ASL.",
            "Each device comes out of a co-design cycle with the person who will use it and is validated with the "
            "health authority's rehabilitation services.",
        ),
        objectives=(
            ("Progettare ausili su misura con gli utenti", "Design custom aids with their users"),
            ("Ridurre costi e tempi di fornitura degli ausili", "Cut the cost and delivery time of aids"),
            ("Pubblicare i progetti come open hardware", "Publish the designs as open hardware"),
            ("Validare gli ausili con i servizi di riabilitazione", "Validate the aids with rehabilitation services"),
        ),
        keywords=("tecnologie assistive", "disabilità", "stampa 3D", "riabilitazione", "open hardware"),
        departments=("DIMEAS", "DET", "DAUIN"),
        sectors=("sanitario-medicale", "servizi-sociali"),
        themes=("accessibilita", "innovazione-sociale"),
        sdgs=(3, 10, 9),
        support=("ricerca", "co-progettazione"),
        targets=("persone-con-disabilita", "pazienti-caregiver"),
        fields=("e", "a"),
        pe=("PE24-2",),
        areas=("infrastrutture-di-ricerca", "promozione-dei-risultati-della-ricerca-del-politecnico"),
        products=(
            (
                "dispositivi-sistemi",
                "Ausilio per la presa stampato in 3D",
                "Un ausilio leggero e regolabile, prodotto in poche ore con una stampante comune.",
            ),
            (
                "dati-report-open-access",
                "Repository open hardware dei progetti",
                "Disegni, istruzioni di montaggio e test pubblicati con licenza aperta.",
            ),
            (
                "processi-inclusione",
                "Protocollo di co-design con i servizi di riabilitazione",
                "Le fasi e i ruoli per progettare un ausilio insieme a utenti e terapisti.",
            ),
        ),
        impacts=(
            (
                "health",
                "Persone che usano un ausilio del progetto",
                "persone",
                "Più autonomia nelle attività quotidiane.",
                0,
                60,
            ),
            ("economic", "Costo medio per ausilio", "€", "Ausili molto meno costosi di quelli commerciali.", 850, 120),
        ),
        partners=("ANFFAS Torino", "UILDM Torino", "AOU Città della Salute e della Scienza di Torino"),
    ),
    Topic(
        key="mappatura",
        names=("MappiAmo", "Geo-Comunità", "OpenMap Quartieri", "Carta Bianca"),
        heads=(
            (
                "Mappatura partecipata dell'accessibilità dei percorsi pedonali",
                "Participatory mapping of the accessibility of pedestrian routes",
            ),
            (
                "Mappatura collaborativa del verde urbano e delle isole di calore",
                "Collaborative mapping of urban greenery and heat islands",
            ),
            ("Mappe di comunità dei servizi di prossimità", "Community maps of local services"),
        ),
        lead_sentence=(
            "{name} forma cittadini, studenti e volontari {where} a raccogliere dati georeferenziati con strumenti "
            "open source, costruendo mappe aperte che orientano le scelte dell'amministrazione.",
            "{name} trains citizens, students and volunteers {where} to collect geo-referenced data with open-source "
            "tools, building open maps that inform the administration's choices.",
        ),
        method=(
            "I dati sono raccolti con app mobili su OpenStreetMap e validati dal laboratorio di geomatica.",
            "Data are collected with mobile apps on OpenStreetMap and validated by the geomatics lab.",
        ),
        objectives=(
            ("Formare volontari alla raccolta di dati geografici", "Train volunteers in geographic data collection"),
            ("Pubblicare dati aperti di qualità", "Publish good-quality open data"),
            ("Restituire i risultati con mappe comprensibili a tutti", "Share results through maps anyone can read"),
        ),
        keywords=("mappatura partecipata", "GIS", "OpenStreetMap", "dati aperti", "citizen science"),
        departments=("DIATI", "DIST", "DAUIN"),
        sectors=("gestione-territorio",),
        themes=("partecipazione-sociale", "accessibilita"),
        sdgs=(11, 13, 15),
        support=("ricerca", "formazione-risorse"),
        targets=("cittadinanza", "comunita-locali"),
        fields=("i", "g"),
        pe=("PE24-2",),
        areas=(
            "servizi-informativi-e-di-supporto-alle-decisioni-trasparenza-e-accessibilita-informazioni-istituzionali",
            "sostenibilita",
        ),
        products=(
            (
                "dati-report-open-access",
                "Dataset aperto dei percorsi e delle barriere rilevate",
                "Pubblicato con licenza ODbL e aggiornabile dai volontari.",
            ),
            (
                "analisi-piani-territorio",
                "Atlante di comunità",
                "Mappe tematiche stampate e online, discusse in incontri pubblici.",
            ),
            (
                "comunicazione-divulgazione",
                "Mapping party aperti alla cittadinanza",
                "Giornate di rilievo collettivo con studenti e associazioni.",
            ),
        ),
        impacts=(
            ("social", "Punti mappati dai volontari", "punti", "Conoscenza condivisa del territorio.", 0, 5000),
            ("environmental", "Aree verdi censite", "ettari", "Verde urbano conosciuto e tutelato.", 0, 120),
        ),
        partners=("Torino Urban Lab", "Legambiente Piemonte e Valle d'Aosta", "Comitato abitanti di Falchera"),
    ),
    Topic(
        key="cibo",
        names=("Spreco Zero", "Filiera Solidale", "RiPasto", "Buono Due Volte"),
        heads=(
            (
                "Rete di recupero delle eccedenze alimentari nei mercati rionali",
                "A network to recover food surplus from local markets",
            ),
            (
                "Logistica solidale per la redistribuzione di cibo alle famiglie fragili",
                "Solidarity logistics to redistribute food to vulnerable families",
            ),
            (
                "Design sistemico per una filiera alimentare senza sprechi",
                "Systemic design for a zero-waste food chain",
            ),
        ),
        lead_sentence=(
            "{name} mette in rete mercati, negozi, mense e associazioni {where} per recuperare il cibo invenduto e "
            "ridistribuirlo alle famiglie in difficoltà, con strumenti digitali che ottimizzano ritiri e consegne.",
            "{name} connects markets, shops, canteens and associations {where} to recover unsold food and "
            "redistribute it to families in need, with digital tools that optimise pick-ups and deliveries.",
        ),
        method=(
            "Il Politecnico ha analizzato i flussi di eccedenze e progettato un modello logistico condiviso con gli "
            "enti caritativi.",
            "The Politecnico analysed surplus flows and designed a logistics model shared with the charities.",
        ),
        objectives=(
            ("Aumentare il cibo recuperato", "Increase the amount of food recovered"),
            ("Ottimizzare i giri di ritiro e consegna", "Optimise pick-up and delivery rounds"),
            ("Coinvolgere nuovi esercenti nella rete", "Bring new shops into the network"),
        ),
        keywords=("spreco alimentare", "economia circolare", "povertà alimentare", "logistica", "terzo settore"),
        departments=("DIGEP", "DAD", "DISAT"),
        sectors=("economia-sociale", "servizi-sociali"),
        themes=("efficacia-efficienza-processi", "inclusione-fragili"),
        sdgs=(2, 12, 1),
        support=("gestione-processi", "co-progettazione"),
        targets=("comunita-fragili", "terzo-settore"),
        fields=("h", "j"),
        pe=("PE24-2",),
        areas=("sostenibilita", "collaborazione-con-istituzioni-e-imprese"),
        products=(
            (
                "reti-comunita",
                "Rete dei punti di raccolta delle eccedenze",
                "Mercati, negozi e mense collegati agli enti che distribuiscono il cibo.",
            ),
            (
                "dispositivi-sistemi",
                "App per la pianificazione dei ritiri",
                "Un'applicazione web che propone i giri di ritiro ottimali ai volontari.",
            ),
            (
                "dati-report-open-access",
                "Rapporto sui flussi di eccedenze alimentari",
                "Quantità, tipologie e stagionalità delle eccedenze recuperate.",
            ),
        ),
        impacts=(
            ("environmental", "Cibo recuperato", "tonnellate/anno", "Meno cibo sprecato.", 0, 90),
            (
                "social",
                "Famiglie raggiunte dalla redistribuzione",
                "famiglie",
                "Più famiglie ricevono cibo fresco.",
                0,
                600,
            ),
        ),
        partners=("Banco Alimentare del Piemonte", "Eco dalle Città", "Sermig – Arsenale della Pace", "Nova Coop"),
        preferred=("a Porta Palazzo",),
    ),
    Topic(
        key="rifugiati",
        names=("Benvenuti", "Ponti", "Nuove Radici", "Approdi"),
        heads=(
            (
                "Percorsi di inclusione abitativa e lavorativa per rifugiati",
                "Housing and job inclusion pathways for refugees",
            ),
            (
                "Riconoscimento delle competenze tecniche di migranti e richiedenti asilo",
                "Recognising the technical skills of migrants and asylum seekers",
            ),
            (
                "Corridoi universitari e tutoraggio per studenti rifugiati",
                "University corridors and mentoring for refugee students",
            ),
        ),
        lead_sentence=(
            "{name} sostiene {where} l'inclusione di rifugiati e richiedenti asilo attraverso tutoraggio, formazione "
            "tecnica e accompagnamento all'abitare, in collaborazione con enti del terzo settore e servizi pubblici.",
            "{name} supports the inclusion of refugees and asylum seekers {where} through mentoring, technical "
            "training and housing support, together with third-sector bodies and public services.",
        ),
        method=(
            "Studenti e docenti volontari affiancano i partecipanti con un tutoraggio individuale, mentre un "
            "bilancio delle competenze orienta i percorsi di formazione.",
            "Volunteer students and staff mentor participants one-to-one, while a skills assessment guides their "
            "training paths.",
        ),
        objectives=(
            ("Riconoscere e valorizzare le competenze pregresse", "Recognise and build on prior skills"),
            ("Accompagnare verso un'abitazione autonoma", "Support the move to independent housing"),
            ("Favorire l'accesso a percorsi universitari", "Open access to university programmes"),
        ),
        keywords=("rifugiati", "migranti", "inclusione", "tutoraggio", "competenze"),
        departments=("DIST", "DIGEP", "DAD"),
        sectors=("servizi-sociali", "emergenze"),
        themes=("inclusione-fragili",),
        sdgs=(10, 16, 8, 4),
        support=("formazione-risorse", "gestione-processi"),
        targets=("migranti", "studenti-universitari"),
        fields=("h",),
        pe=("PE24-2",),
        areas=("comunita-e-integrazione-internazionale", "valorizzazione-delle-diversita"),
        products=(
            (
                "processi-inclusione",
                "Modello di tutoraggio tra pari per studenti rifugiati",
                "Ruoli, tempi e strumenti del tutoraggio, sperimentati con due coorti di studenti.",
            ),
            (
                "strumenti-educativi",
                "Strumento di bilancio delle competenze tecniche",
                "Un questionario con prove pratiche per riconoscere competenze acquisite all'estero.",
            ),
        ),
        impacts=(
            (
                "social",
                "Partecipanti inseriti in un percorso di studio o lavoro",
                "persone",
                "Più rifugiati trovano un lavoro o riprendono gli studi.",
                0,
                40,
            ),
            (
                "educational",
                "Studenti rifugiati iscritti al Politecnico",
                "studenti",
                "Accesso all'università per chi ha dovuto interrompere gli studi.",
                0,
                15,
            ),
        ),
        partners=(
            "ASAI – Associazione di Animazione Interculturale",
            "Associazione Almaterra",
            "Gruppo Abele",
            "Ufficio Pio della Compagnia di San Paolo",
        ),
    ),
    Topic(
        key="opendata",
        names=("DatiPerIlBene", "Terzo Settore Aperto", "OpenWelfare", "Numeri Solidali"),
        heads=(
            (
                "Open data e cruscotti per gli enti del terzo settore",
                "Open data and dashboards for third-sector bodies",
            ),
            (
                "Competenze di analisi dei dati per le organizzazioni non profit",
                "Data skills for non-profit organisations",
            ),
            ("Un osservatorio aperto sulla povertà educativa", "An open observatory on educational poverty"),
        ),
        lead_sentence=(
            "{name} aiuta associazioni e cooperative {where} a raccogliere, pubblicare e usare dati aperti per "
            "programmare i servizi, rendicontare le attività e misurare i risultati.",
            "{name} helps associations and cooperatives {where} collect, publish and use open data to plan services, "
            "report on their work and measure results.",
        ),
        method=(
            "Data scientist del Politecnico e operatori degli enti hanno co-progettato indicatori comuni e un "
            "cruscotto open source.",
            "Politecnico data scientists and the organisations' staff co-designed shared indicators and an "
            "open-source dashboard.",
        ),
        objectives=(
            ("Definire indicatori comuni tra gli enti", "Agree on shared indicators across organisations"),
            ("Pubblicare dati con licenze aperte", "Publish data under open licences"),
            ("Formare gli operatori all'uso dei dati", "Train staff to use data"),
        ),
        keywords=("open data", "terzo settore", "data science", "rendicontazione sociale", "cruscotti"),
        departments=("DAUIN", "DISMA", "DIGEP"),
        sectors=("social-policy-making", "economia-sociale"),
        themes=("efficacia-efficienza-processi",),
        sdgs=(16, 17, 9),
        support=("ricerca", "formazione-risorse", "strumenti-indirizzo-strategico"),
        targets=("terzo-settore", "pubbliche-amministrazioni"),
        fields=("i", "c"),
        pe=("PE24-1",),
        areas=("task-force-su-intelligenza-artificiale", POLICY),
        products=(
            (
                "dati-report-open-access",
                "Portale open data degli enti aderenti",
                "Dataset descritti, aggiornati e scaricabili in formati aperti.",
            ),
            (
                "dispositivi-sistemi",
                "Cruscotto open source per la rendicontazione sociale",
                "Indicatori e grafici pronti per il bilancio sociale.",
            ),
            (
                "strumenti-educativi",
                "Corso online di analisi dei dati per il non profit",
                "Sei moduli con esercitazioni su dati reali degli enti.",
            ),
        ),
        impacts=(
            ("economic", "Enti che usano il cruscotto", "enti", "Programmazione dei servizi basata sui dati.", 0, 35),
            (
                "social",
                "Dataset pubblicati con licenza aperta",
                "dataset",
                "Più trasparenza sul welfare locale.",
                0,
                60,
            ),
        ),
        partners=("SocialFare – Centro per l'Innovazione Sociale", "Torino Social Impact", "Dati Chiari S.r.l. SB"),
    ),
    Topic(
        key="salute",
        names=("CasaSalute", "Vicino a Te", "TeleCura", "Sentinella"),
        heads=(
            (
                "Telemonitoraggio domiciliare per pazienti cronici fragili",
                "Home telemonitoring for frail chronic patients",
            ),
            (
                "Sensori indossabili per prevenire le cadute delle persone anziane",
                "Wearable sensors to prevent falls in older people",
            ),
            (
                "Un sistema di supporto alle decisioni per l'assistenza domiciliare",
                "A decision-support system for home care",
            ),
        ),
        lead_sentence=(
            "{name} sperimenta {where}, con l'azienda sanitaria e i medici di medicina generale, soluzioni digitali "
            "per seguire a casa pazienti cronici e anziani fragili, riducendo gli accessi evitabili al pronto "
            "soccorso.",
            "{name} trials digital solutions {where}, with the health authority and general practitioners, to "
            "follow chronic patients and frail older people at home, cutting avoidable emergency visits.",
        ),
        method=(
            "La sperimentazione segue un campione di pazienti per dodici mesi, con attenzione a privacy, usabilità "
            "e carico dei caregiver.",
            "The trial follows a sample of patients for twelve months, paying attention to privacy, usability and "
            "caregiver workload.",
        ),
        objectives=(
            ("Monitorare a distanza i parametri dei pazienti", "Monitor patients' vital signs remotely"),
            ("Ridurre gli accessi evitabili al pronto soccorso", "Reduce avoidable emergency visits"),
            ("Sostenere i caregiver familiari", "Support family caregivers"),
        ),
        keywords=("sanità digitale", "telemedicina", "anziani", "caregiver", "prevenzione"),
        departments=("DET", "DAUIN", "DIMEAS"),
        sectors=("sanitario-medicale", "servizi-sociali"),
        themes=("innovazione-sociale", "inclusione-fragili"),
        sdgs=(3, 10),
        support=("ricerca", "co-progettazione"),
        targets=("pazienti-caregiver", "anziani"),
        fields=("e",),
        pe=("PE24-2",),
        areas=("task-force-su-intelligenza-artificiale", "collaborazione-con-istituzioni-e-imprese"),
        products=(
            (
                "dispositivi-sistemi",
                "Dispositivo indossabile per il monitoraggio delle cadute",
                "Un sensore da polso che segnala cadute e lunghi periodi di inattività.",
            ),
            (
                "dispositivi-sistemi",
                "Sistema di aiuto alla decisione clinica per l'assistenza domiciliare",
                "Segnala al medico i pazienti che richiedono una visita.",
            ),
        ),
        impacts=(
            (
                "health",
                "Accessi evitabili al pronto soccorso",
                "accessi/anno",
                "Meno accessi impropri al pronto soccorso tra i pazienti seguiti.",
                120,
                70,
            ),
            ("health", "Pazienti monitorati a domicilio", "pazienti", "Più pazienti seguiti a casa.", 0, 150),
        ),
        partners=("ASL Città di Torino", "ASL TO3", "AOU Città della Salute e della Scienza di Torino", "ASL CN1"),
    ),
    Topic(
        key="patrimonio",
        names=("Patrimonio per Tutti", "MuseoAperto", "Memorie di Quartiere", "Tracce"),
        heads=(
            (
                "Accessibilità multisensoriale del patrimonio culturale",
                "Multisensory accessibility of cultural heritage",
            ),
            (
                "Valorizzazione partecipata del patrimonio industriale",
                "Participatory enhancement of industrial heritage",
            ),
            ("Un archivio di comunità delle memorie operaie", "A community archive of workers' memories"),
        ),
        lead_sentence=(
            "{name} rende il patrimonio culturale {where} fruibile da un pubblico più ampio, con percorsi "
            "multisensoriali, modelli tattili e racconti raccolti insieme agli abitanti.",
            "{name} opens up the cultural heritage {where} to a wider public, with multisensory routes, tactile "
            "models and stories gathered with residents.",
        ),
        method=(
            "Rilievi digitali e stampa 3D producono modelli tattili, mentre laboratori con scuole e associazioni "
            "raccolgono testimonianze orali.",
            "Digital surveys and 3D printing produce tactile models, while workshops with schools and associations "
            "collect oral histories.",
        ),
        objectives=(
            ("Rendere accessibili luoghi e collezioni", "Make places and collections accessible"),
            ("Raccogliere e conservare le memorie del territorio", "Collect and preserve local memories"),
            ("Coinvolgere le scuole nella valorizzazione", "Involve schools in heritage work"),
        ),
        keywords=("patrimonio culturale", "accessibilità", "memoria", "musei", "rilievo digitale"),
        departments=("DAD", "DISEG", "DIST"),
        sectors=("gestione-territorio", "servizi-educativi"),
        themes=("accessibilita", "partecipazione-sociale"),
        sdgs=(11, 4),
        support=("co-progettazione", "ricerca"),
        targets=("cittadinanza", "persone-con-disabilita", "scuole"),
        fields=("d", "g"),
        pe=("PE24-3", "PE24-1"),
        areas=("attivita-culturali", "promozione-dellateneo-e-delle-sue-competenze"),
        products=(
            (
                "patrimonio-culturale",
                "Percorso tattile e multisensoriale",
                "Modelli tattili, audiodescrizioni e mappe in rilievo.",
            ),
            (
                "patrimonio-culturale",
                "Archivio digitale di comunità",
                "Fotografie, documenti e interviste catalogati e consultabili online.",
            ),
            (
                "comunicazione-divulgazione",
                "Mostra itinerante",
                "Pannelli e installazioni ospitati da biblioteche e Case del quartiere.",
            ),
        ),
        impacts=(
            ("cultural", "Visitatori dei percorsi accessibili", "visitatori", "Un patrimonio aperto a tutti.", 0, 3000),
            (
                "cultural",
                "Testimonianze raccolte e archiviate",
                "testimonianze",
                "Memorie del territorio conservate.",
                0,
                120,
            ),
        ),
        partners=(
            "Unione Italiana dei Ciechi e degli Ipovedenti – Torino",
            "Fondazione Mirafiori",
            "Ordine degli Architetti di Torino",
        ),
        groups=("quartiere", "comune"),
    ),
    Topic(
        key="clima",
        names=("Quartieri Resilienti", "Ondata", "Clima Comune", "Ombre Fresche"),
        heads=(
            (
                "Piani di adattamento climatico costruiti con i cittadini",
                "Climate adaptation plans built with citizens",
            ),
            ("Prevenzione partecipata del rischio alluvionale", "Participatory flood-risk prevention"),
            ("Rifugi climatici nelle scuole e negli spazi pubblici", "Cool refuges in schools and public spaces"),
        ),
        lead_sentence=(
            "{name} lavora con protezione civile, scuole e abitanti {where} per conoscere i rischi climatici, "
            "preparare la comunità alle emergenze e individuare interventi di adattamento.",
            "{name} works with civil protection, schools and residents {where} to understand climate risks, prepare "
            "the community for emergencies and identify adaptation measures.",
        ),
        method=(
            "Modelli idraulici e termici sono stati discussi in incontri pubblici e tradotti in mappe del rischio "
            "comprensibili a tutti.",
            "Hydraulic and thermal models were discussed at public meetings and turned into risk maps that anyone "
            "can read.",
        ),
        objectives=(
            ("Conoscere i rischi climatici locali", "Understand local climate risks"),
            ("Preparare la comunità alle emergenze", "Prepare the community for emergencies"),
            ("Proporre interventi di adattamento prioritari", "Propose priority adaptation measures"),
        ),
        keywords=(
            "adattamento climatico",
            "rischio idrogeologico",
            "isole di calore",
            "protezione civile",
            "resilienza",
        ),
        departments=("DIATI", "DISEG", "DENERG"),
        sectors=("emergenze", "gestione-territorio"),
        themes=("sviluppo-equo-territorio", "partecipazione-sociale"),
        sdgs=(13, 11, 6),
        support=("ricerca", "strumenti-indirizzo-strategico"),
        targets=("comunita-locali", "scuole"),
        fields=("j", "g"),
        pe=("PE24-1",),
        areas=("sostenibilita", POLICY),
        products=(
            (
                "analisi-piani-territorio",
                "Piano locale di adattamento climatico",
                "Azioni prioritarie, costi e responsabilità, condivisi con l'amministrazione.",
            ),
            (
                "dati-report-open-access",
                "Mappe del rischio ad accesso aperto",
                "Allagabilità e temperature superficiali a scala di isolato.",
            ),
            (
                "comunicazione-divulgazione",
                "Esercitazioni di protezione civile nelle scuole",
                "Simulazioni di emergenza preparate con insegnanti e volontari.",
            ),
        ),
        impacts=(
            (
                "environmental",
                "Superficie de-impermeabilizzata",
                "m²",
                "Più suolo permeabile e meno allagamenti.",
                0,
                4000,
            ),
            (
                "social",
                "Cittadini formati sui comportamenti in emergenza",
                "persone",
                "Una comunità più preparata.",
                0,
                800,
            ),
        ),
        partners=("Città Metropolitana di Torino", "Legambiente Piemonte e Valle d'Aosta", "Regione Piemonte"),
    ),
    Topic(
        key="lavoro",
        names=("Next Step", "Impresa Sociale Lab", "Officine del Futuro", "Rampa di Lancio"),
        heads=(
            (
                "Laboratori di imprenditorialità sociale per giovani NEET",
                "Social entrepreneurship labs for young NEETs",
            ),
            (
                "Incubazione di imprese sociali nate nei quartieri",
                "Incubating social enterprises born in neighbourhoods",
            ),
            (
                "Orientamento al lavoro tecnico per giovani fuori dalla formazione",
                "Technical career guidance for young people out of education",
            ),
        ),
        lead_sentence=(
            "{name} accompagna {where} giovani che non studiano e non lavorano a trasformare un'idea in un "
            "progetto d'impresa sociale, con il mentoring di docenti, studenti e imprese del territorio.",
            "{name} helps young people {where} who are not in education or employment turn an idea into a "
            "social-enterprise project, mentored by lecturers, students and local businesses.",
        ),
        method=(
            "Il percorso alterna laboratori pratici, visite in azienda e un periodo di incubazione con tutor dedicati.",
            "The programme alternates hands-on workshops, company visits and an incubation period with dedicated "
            "tutors.",
        ),
        objectives=(
            ("Rafforzare le competenze imprenditoriali dei giovani", "Build young people's entrepreneurial skills"),
            ("Avviare nuove imprese sociali", "Launch new social enterprises"),
            ("Creare una rete di mentor del territorio", "Create a network of local mentors"),
        ),
        keywords=("NEET", "impresa sociale", "lavoro", "orientamento", "imprenditorialità"),
        departments=("DIGEP", "DAUIN", "DIMEAS"),
        sectors=("economia-sociale", "servizi-educativi"),
        themes=("inclusione-fragili", "innovazione-sociale"),
        sdgs=(8, 4, 10),
        support=("formazione-risorse", "gestione-processi"),
        targets=("giovani-neet",),
        fields=("b", "f"),
        pe=("PE24-2",),
        areas=(
            "orientamento-e-carriere-studenti-dottorandie-e-postdoc-in-uscita",
            "innovazione-e-trasferimento-tecnologico-per-linternazionalizzazione",
        ),
        products=(
            (
                "processi-inclusione",
                "Percorso di accompagnamento all'impresa sociale",
                "Dodici settimane di laboratori, mentoring e incubazione.",
            ),
            (
                "reti-comunita",
                "Rete di mentor e imprese del territorio",
                "Professionisti e aziende che affiancano i giovani partecipanti.",
            ),
        ),
        impacts=(
            ("economic", "Imprese sociali avviate", "imprese", "Nuova occupazione nei quartieri.", 0, 6),
            (
                "economic",
                "Giovani inseriti al lavoro o in formazione",
                "persone",
                "Meno giovani fuori da studio e lavoro.",
                0,
                50,
            ),
        ),
        partners=(
            "SocialFare – Centro per l'Innovazione Sociale",
            "Intesa Sanpaolo Innovation Center",
            "Cooperativa sociale Animazione Valdocco",
        ),
    ),
    Topic(
        key="valutazione",
        names=("Misurare il Bene", "ValutaWelfare", "ImpattoComune", "Bussola Sociale"),
        heads=(
            (
                "Valutazione d'impatto sociale dei servizi di welfare territoriale",
                "Social impact assessment of local welfare services",
            ),
            (
                "Indicatori condivisi per la co-programmazione con il terzo settore",
                "Shared indicators for co-planning with the third sector",
            ),
            ("Analisi dei dati per politiche abitative più eque", "Data analysis for fairer housing policies"),
        ),
        lead_sentence=(
            "{name} affianca enti pubblici e terzo settore {where} nella valutazione dei servizi di welfare, "
            "costruendo indicatori condivisi e metodi di misura dell'impatto sociale utili alla programmazione.",
            "{name} supports public bodies and the third sector {where} in evaluating welfare services, building "
            "shared indicators and social-impact measures that feed into planning.",
        ),
        method=(
            "Metodi misti, tra indagini campionarie, interviste e analisi controfattuali, sono stati applicati a "
            "servizi reali e discussi con i decisori.",
            "Mixed methods, from sample surveys and interviews to counterfactual analyses, were applied to real "
            "services and discussed with decision-makers.",
        ),
        objectives=(
            ("Costruire indicatori condivisi", "Build shared indicators"),
            ("Valutare l'impatto dei servizi", "Assess the impact of services"),
            ("Sostenere la co-programmazione pubblico-privato", "Support public-private co-planning"),
        ),
        keywords=("valutazione d'impatto", "welfare", "politiche pubbliche", "indicatori", "co-programmazione"),
        departments=("DIGEP", "DISMA", "DIST"),
        sectors=("social-policy-making", "servizi-sociali"),
        themes=("efficacia-efficienza-processi", "innovazione-sociale"),
        sdgs=(16, 1, 17),
        support=("ricerca", "strumenti-indirizzo-strategico", "gestione-processi"),
        targets=("pubbliche-amministrazioni", "terzo-settore"),
        fields=("h", "c"),
        pe=("PE24-2",),
        areas=(POLICY, "valorizzazione-della-presenza-dellateneo-negli-enti-partecipati"),
        products=(
            (
                "dati-report-open-access",
                "Rapporto di valutazione d'impatto sociale",
                "Metodo, dati e risultati pubblicati ad accesso aperto.",
            ),
            (
                "analisi-piani-territorio",
                "Set di indicatori per la co-programmazione",
                "Indicatori definiti con enti pubblici e terzo settore, con le fonti dei dati.",
            ),
        ),
        impacts=(
            ("social", "Servizi valutati con il metodo condiviso", "servizi", "Decisioni basate su evidenze.", 0, 15),
            ("economic", "Enti pubblici che adottano gli indicatori", "enti", "Programmazione più efficace.", 0, 8),
        ),
        partners=("IRES Piemonte", "Consorzio Monviso Solidale", "Cooperativa sociale Esserci"),
    ),
    Topic(
        key="mobilita",
        names=("MuoviAmo", "Città a Misura", "Percorsi Liberi", "Fermata Giusta"),
        heads=(
            (
                "Mobilità accessibile e trasporto a chiamata per le aree periferiche",
                "Accessible mobility and on-demand transport for outlying areas",
            ),
            ("Accessibilità delle fermate del trasporto pubblico", "Accessibility of public transport stops"),
            ("Percorsi casa-scuola sicuri progettati con i ragazzi", "Safe routes to school designed with children"),
        ),
        lead_sentence=(
            "{name} studia {where} come rendere la mobilità quotidiana accessibile a tutte e a tutti, combinando dati "
            "di traffico, rilievi delle barriere e la voce di chi si muove con più difficoltà.",
            "{name} explores {where} how to make everyday mobility accessible to everyone, combining traffic data, "
            "barrier surveys and the voices of those who find it hardest to get around.",
        ),
        method=(
            "Rilievi sul campo con associazioni di persone con disabilità e modelli di domanda di trasporto hanno "
            "guidato le proposte all'amministrazione.",
            "Field surveys with disability associations and transport-demand models shaped the proposals to the "
            "administration.",
        ),
        objectives=(
            ("Rilevare le barriere lungo i percorsi", "Survey barriers along routes"),
            ("Proporre interventi prioritari all'amministrazione", "Propose priority works to the administration"),
            ("Sperimentare un servizio di trasporto a chiamata", "Pilot an on-demand transport service"),
        ),
        keywords=("mobilità sostenibile", "accessibilità", "trasporto pubblico", "sicurezza stradale", "periferie"),
        departments=("DIATI", "DET", "DIST", "DAUIN"),
        sectors=("gestione-territorio", "social-policy-making"),
        themes=("accessibilita", "sviluppo-equo-territorio"),
        sdgs=(11, 9, 10, 3),
        support=("ricerca", "strumenti-indirizzo-strategico"),
        targets=("persone-con-disabilita", "cittadinanza", "bambini-famiglie"),
        fields=("j",),
        pe=("PE24-2",),
        areas=("sostenibilita", POLICY),
        products=(
            (
                "analisi-piani-territorio",
                "Piano di accessibilità delle fermate",
                "Priorità di intervento per le fermate del trasporto pubblico.",
            ),
            (
                "dati-report-open-access",
                "Dataset delle barriere lungo i percorsi",
                "Barriere rilevate, con foto e coordinate, in formato aperto.",
            ),
        ),
        impacts=(
            ("social", "Fermate rese accessibili", "fermate", "Trasporto pubblico più accessibile.", 0, 40),
            ("social", "Utenti del servizio a chiamata", "utenti/mese", "Periferie meglio collegate.", 0, 900),
        ),
        partners=("Comune di Torino", "Città Metropolitana di Torino", "CPD – Consulta per le Persone in Difficoltà"),
    ),
    Topic(
        key="carcere",
        names=("Fuori Classe", "Seconda Opportunità", "Oltre il Muro"),
        heads=(
            (
                "Formazione universitaria e laboratori tecnici",
                "University education and technical workshops",
            ),
            (
                "Laboratori di riparazione di dispositivi elettronici con le persone detenute",
                "Electronics repair workshops with people in prison",
            ),
            ("Un polo universitario per studenti detenuti", "A university hub for students in prison"),
        ),
        lead_sentence=(
            "{name} porta {where} corsi universitari e laboratori tecnici, offrendo alle persone detenute un "
            "percorso di studio e competenze spendibili dopo la pena.",
            "{name} brings university courses and technical workshops {where}, offering people in prison a path of "
            "study and skills they can use after their sentence.",
        ),
        method=(
            "Docenti e studenti tutor svolgono lezioni ed esercitazioni in presenza, in accordo con l'area "
            "educativa dell'istituto.",
            "Lecturers and student tutors teach in person, in agreement with the prison's education staff.",
        ),
        objectives=(
            ("Garantire il diritto allo studio universitario", "Guarantee the right to university education"),
            ("Sviluppare competenze tecniche spendibili", "Build marketable technical skills"),
            ("Favorire il reinserimento sociale", "Support social reintegration"),
        ),
        keywords=("carcere", "diritto allo studio", "reinserimento", "formazione", "inclusione"),
        departments=("DAUIN", "DET", "DISMA"),
        sectors=("servizi-educativi", "servizi-sociali"),
        themes=("inclusione-fragili",),
        sdgs=(4, 16, 10),
        support=("formazione-risorse",),
        targets=("comunita-fragili",),
        fields=("f", "h"),
        pe=("PE24-2",),
        areas=("politiche-di-evoluzione-delle-dinamiche-della-formazione", "valorizzazione-delle-diversita"),
        products=(
            (
                "processi-inclusione",
                "Percorso di studio universitario in carcere",
                "Lezioni, tutoraggio ed esami organizzati all'interno dell'istituto.",
            ),
            (
                "strumenti-educativi",
                "Laboratorio di elettronica e riparazione",
                "Banchi attrezzati e dispense per la riparazione di dispositivi.",
            ),
        ),
        impacts=(
            ("educational", "Studenti detenuti iscritti", "studenti", "Più persone detenute studiano.", 0, 30),
            ("educational", "Esami superati", "esami", "Progressi negli studi universitari.", 0, 80),
        ),
        partners=('Casa Circondariale "Lorusso e Cutugno"', "Gruppo Abele", "Ufficio Pio della Compagnia di San Paolo"),
        groups=("special",),
    ),
]

DESCRIPTION_CONTEXT = [
    (
        "L'iniziativa è nata da una richiesta delle organizzazioni del territorio e si è sviluppata come percorso "
        "di ricerca-azione, con momenti pubblici di restituzione dei risultati.",
        "The initiative grew out of a request from local organisations and developed as action research, with "
        "public meetings to share the results.",
    ),
    (
        "Il progetto coinvolge studenti dei corsi di laurea e di dottorato attraverso tesi, tirocini e atelier "
        "progettuali sul caso studio.",
        "Bachelor's, master's and PhD students take part through theses, internships and design studios on the "
        "case study.",
    ),
    (
        "Le attività sono state progettate per essere replicabili: metodi, strumenti e dati sono pubblicati ad "
        "accesso aperto.",
        "The activities were designed to be replicable: methods, tools and data are published in open access.",
    ),
]

NEEDS = [
    "Spazi per svolgere i laboratori con scuole e associazioni.",
    "Contatti con altri gruppi del Politecnico che lavorano su temi affini.",
    "Supporto per comunicare i risultati a un pubblico non specialistico.",
    "Fondi per dare continuità al progetto dopo il finanziamento iniziale.",
]
WISHES = [
    "Diventare un servizio stabile per il quartiere.",
    "Replicare il modello in altri comuni del Piemonte.",
    "Costruire una rete nazionale con altre università.",
    "Coinvolgere più studenti attraverso tesi e tirocini.",
]
EVALUATION_NOTES = [
    "Questionario ai partecipanti all'inizio e alla fine delle attività e focus group con gli operatori.",
    "Analisi controfattuale su un gruppo di confronto e interviste ai beneficiari.",
    "Monitoraggio degli indicatori concordati con i partner e restituzione pubblica annuale.",
]
MEMBER_CONTRIBUTIONS = {
    Person.Role.FULL_PROFESSOR: ["Supervisione scientifica", "Coordinamento delle attività con i partner"],
    Person.Role.ASSOCIATE_PROFESSOR: ["Progettazione degli interventi", "Metodologia della ricerca"],
    Person.Role.RESEARCHER: ["Analisi dei dati", "Progettazione degli interventi", "Rilievi sul campo"],
    Person.Role.RESEARCH_FELLOW: ["Rilievi sul campo", "Facilitazione dei laboratori", "Analisi dei dati"],
    Person.Role.PHD_STUDENT: ["Tesi di dottorato sul caso studio", "Facilitazione dei laboratori"],
    Person.Role.STAFF: ["Supporto amministrativo e rendicontazione", "Comunicazione e divulgazione"],
    Person.Role.STUDENT: ["Tesi di laurea sul caso studio", "Tutoraggio nelle attività"],
    Person.Role.OTHER: ["Collaborazione alle attività"],
}
LEAD_CONTRIBUTION = "Responsabile scientifico e referente dell'iniziativa"

# Competences typical of each department (codes of fixtures/reference/initiatives.yaml).
DEPARTMENT_COMPETENCES = {
    "DAD": [
        "progettazione-partecipata",
        "co-design-servizi",
        "design-sistemico",
        "accessibilita-design-for-all",
        "patrimonio-culturale",
        "riqualificazione-edilizia",
    ],
    "DAUIN": ["data-science-sociale", "sanita-digitale", "didattica-innovativa", "tecnologie-assistive"],
    "DENERG": ["comunita-energetiche", "efficienza-energetica-poverta", "didattica-innovativa"],
    "DET": ["sanita-digitale", "tecnologie-assistive", "data-science-sociale"],
    "DIATI": ["analisi-gis", "rischi-emergenze", "cooperazione-sviluppo", "pianificazione-territoriale"],
    "DIGEP": [
        "modelli-impresa-sociale",
        "innovazione-organizzativa",
        "valutazione-impatto-sociale",
        "valutazione-politiche",
    ],
    "DIMEAS": ["tecnologie-assistive", "sanita-digitale", "didattica-innovativa"],
    "DISAT": ["comunicazione-scientifica", "didattica-innovativa", "efficienza-energetica-poverta"],
    "DISEG": ["riqualificazione-edilizia", "rischi-emergenze", "patrimonio-culturale"],
    "DISMA": ["data-science-sociale", "valutazione-politiche", "didattica-innovativa", "comunicazione-scientifica"],
    "DIST": [
        "rigenerazione-urbana",
        "pianificazione-territoriale",
        "analisi-gis",
        "valutazione-politiche",
        "ricerca-sociale",
        "progettazione-partecipata",
    ],
}

# --- Who: organisations of Piedmont ---------------------------------------------------------


@dataclass(frozen=True)
class Org:
    name: str
    type: str  # OrganisationType code
    municipality: str
    kind: str  # how it usually takes part: funder, pa, health, school, third, company, informal, other
    website: str = ""
    type_other: str = ""


ORGANISATIONS = [
    Org("Comune di Torino", "pubblica-amministrazione", "Torino", "pa", "https://www.comune.torino.it"),
    Org(
        "Città Metropolitana di Torino",
        "pubblica-amministrazione",
        "Torino",
        "pa",
        "https://www.cittametropolitana.torino.it",
    ),
    Org("Regione Piemonte", "pubblica-amministrazione", "Torino", "pa", "https://www.regione.piemonte.it"),
    Org("Circoscrizione 6 – Città di Torino", "pubblica-amministrazione", "Torino", "pa"),
    Org("Circoscrizione 2 – Città di Torino", "pubblica-amministrazione", "Torino", "pa"),
    Org("Circoscrizione 7 – Città di Torino", "pubblica-amministrazione", "Torino", "pa"),
    Org("Comune di Moncalieri", "pubblica-amministrazione", "Moncalieri", "pa"),
    Org("Comune di Collegno", "pubblica-amministrazione", "Collegno", "pa"),
    Org("Comune di Settimo Torinese", "pubblica-amministrazione", "Settimo Torinese", "pa"),
    Org("Comune di Ivrea", "pubblica-amministrazione", "Ivrea", "pa"),
    Org("Comune di Pinerolo", "pubblica-amministrazione", "Pinerolo", "pa"),
    Org("Comune di Biella", "pubblica-amministrazione", "Biella", "pa"),
    Org("Comune di Cuneo", "pubblica-amministrazione", "Cuneo", "pa"),
    Org("Comune di Alessandria", "pubblica-amministrazione", "Alessandria", "pa"),
    Org("Comune di Asti", "pubblica-amministrazione", "Asti", "pa"),
    Org("Comune di Novara", "pubblica-amministrazione", "Novara", "pa"),
    Org("ASL Città di Torino", "pubblica-amministrazione", "Torino", "health", "https://www.aslcittaditorino.it"),
    Org("ASL TO3", "pubblica-amministrazione", "Collegno", "health"),
    Org("ASL CN1", "pubblica-amministrazione", "Cuneo", "health"),
    Org(
        "AOU Città della Salute e della Scienza di Torino",
        "pubblica-amministrazione",
        "Torino",
        "health",
        "https://www.cittadellasalute.to.it",
    ),
    Org("ATC del Piemonte Centrale", "pubblica-amministrazione", "Torino", "pa"),
    Org("Ufficio Scolastico Regionale per il Piemonte", "pubblica-amministrazione", "Torino", "school"),
    Org('Istituto Tecnico Industriale "Amedeo Avogadro"', "pubblica-amministrazione", "Torino", "school"),
    Org('Istituto Comprensivo "Sandro Pertini"', "pubblica-amministrazione", "Torino", "school"),
    Org("Consorzio Monviso Solidale", "pubblica-amministrazione", "Fossano", "pa"),
    Org("IRES Piemonte", "pubblica-amministrazione", "Torino", "pa"),
    Org('Casa Circondariale "Lorusso e Cutugno"', "pubblica-amministrazione", "Torino", "pa"),
    Org("Università degli Studi di Torino", "pubblica-amministrazione", "Torino", "other", "https://www.unito.it"),
    Org("Fondazione Compagnia di San Paolo", "no-profit", "Torino", "funder", "https://www.compagniadisanpaolo.it"),
    Org("Fondazione CRT", "no-profit", "Torino", "funder", "https://www.fondazionecrt.it"),
    Org("Fondazione CRC", "no-profit", "Cuneo", "funder", "https://www.fondazionecrc.it"),
    Org("Fondazione Cassa di Risparmio di Biella", "no-profit", "Biella", "funder"),
    Org("Fondazione Cassa di Risparmio di Alessandria", "no-profit", "Alessandria", "funder"),
    Org("Fondazione Cassa di Risparmio di Asti", "no-profit", "Asti", "funder"),
    Org("Ufficio Pio della Compagnia di San Paolo", "no-profit", "Torino", "funder"),
    Org("Fondazione di Comunità Porta Palazzo", "no-profit", "Torino", "third"),
    Org("Fondazione Mirafiori", "no-profit", "Torino", "third"),
    Org("Rete delle Case del Quartiere", "no-profit", "Torino", "third", "https://www.retecasedelquartiere.org"),
    Org("Bagni Pubblici di Via Agliè – Casa del Quartiere", "no-profit", "Torino", "third"),
    Org("Agenzia per lo Sviluppo Locale di San Salvario", "no-profit", "Torino", "third"),
    Org("Gruppo Abele", "no-profit", "Torino", "third", "https://www.gruppoabele.org"),
    Org("Sermig – Arsenale della Pace", "no-profit", "Torino", "third"),
    Org("Banco Alimentare del Piemonte", "no-profit", "Moncalieri", "third"),
    Org("Eco dalle Città", "no-profit", "Torino", "third"),
    Org("Legambiente Piemonte e Valle d'Aosta", "no-profit", "Torino", "third"),
    Org("ASAI – Associazione di Animazione Interculturale", "no-profit", "Torino", "third"),
    Org("Associazione Almaterra", "no-profit", "Torino", "third"),
    Org("CPD – Consulta per le Persone in Difficoltà", "no-profit", "Torino", "third"),
    Org("ANFFAS Torino", "no-profit", "Torino", "third"),
    Org("UILDM Torino", "no-profit", "Torino", "third"),
    Org("Unione Italiana dei Ciechi e degli Ipovedenti – Torino", "no-profit", "Torino", "third"),
    Org("AUSER Torino", "no-profit", "Torino", "third"),
    Org("Arci Torino", "no-profit", "Torino", "third"),
    Org("Acmos", "no-profit", "Torino", "third"),
    Org("Cooperativa sociale Esserci", "no-profit", "Torino", "third"),
    Org("Cooperativa sociale Animazione Valdocco", "no-profit", "Torino", "third"),
    Org("Cooperativa sociale Il Margine", "no-profit", "Torino", "third"),
    Org("Anteo Cooperativa Sociale", "no-profit", "Biella", "third"),
    Org("SocialFare – Centro per l'Innovazione Sociale", "no-profit", "Torino", "third"),
    Org("Torino Urban Lab", "no-profit", "Torino", "third"),
    Org("EnerComune S.r.l. SB", "societa-benefit", "Torino", "company"),
    Org("Habitat Design S.r.l. SB", "societa-benefit", "Torino", "company"),
    Org("Dati Chiari S.r.l. SB", "societa-benefit", "Torino", "company"),
    Org("Iren S.p.A.", "imprese-profit", "Torino", "company", "https://www.gruppoiren.it"),
    Org("Intesa Sanpaolo Innovation Center", "imprese-profit", "Torino", "company"),
    Org("Environment Park S.p.A.", "imprese-profit", "Torino", "company"),
    Org("Nova Coop", "imprese-profit", "Vercelli", "company"),
    Org("Comitato abitanti di Falchera", "gruppi-informali", "Torino", "informal"),
    Org("Orti condivisi di Mirafiori Sud", "gruppi-informali", "Torino", "informal"),
    Org("Genitori in rete – Aurora", "gruppi-informali", "Torino", "informal"),
    Org(
        "Torino Social Impact", "altro", "Torino", "other", "https://www.torinosocialimpact.it", "Rete pubblico-privata"
    ),
    Org("Ordine degli Architetti di Torino", "altro", "Torino", "other", "", "Ordine professionale"),
]

# The local public partner of a place, and the funder of its province.
LOCAL_PA = {
    "Barriera di Milano": "Circoscrizione 6 – Città di Torino",
    "Falchera": "Circoscrizione 6 – Città di Torino",
    "Regio Parco": "Circoscrizione 6 – Città di Torino",
    "Mirafiori Sud": "Circoscrizione 2 – Città di Torino",
    "Mirafiori Nord": "Circoscrizione 2 – Città di Torino",
    "Aurora": "Circoscrizione 7 – Città di Torino",
    "Porta Palazzo": "Circoscrizione 7 – Città di Torino",
    "Moncalieri": "Comune di Moncalieri",
    "Collegno": "Comune di Collegno",
    "Settimo Torinese": "Comune di Settimo Torinese",
    "Ivrea": "Comune di Ivrea",
    "Pinerolo": "Comune di Pinerolo",
    "Biella": "Comune di Biella",
    "Cuneo": "Comune di Cuneo",
    "Alessandria": "Comune di Alessandria",
    "Asti": "Comune di Asti",
    "Novara": "Comune di Novara",
}
PROVINCE_FUNDERS = {
    "CN": ["Fondazione CRC"],
    "BI": ["Fondazione Cassa di Risparmio di Biella"],
    "AL": ["Fondazione Cassa di Risparmio di Alessandria"],
    "AT": ["Fondazione Cassa di Risparmio di Asti"],
}
DEFAULT_FUNDERS = ["Fondazione Compagnia di San Paolo", "Fondazione CRT"]
ROLE_BY_KIND = {
    "funder": {Partnership.Role.FUNDER: 1},
    "pa": {Partnership.Role.PARTNER: 6, Partnership.Role.CLIENT: 3, Partnership.Role.FUNDER: 1},
    "health": {Partnership.Role.PARTNER: 3, Partnership.Role.CO_DESIGNER: 2},
    "school": {Partnership.Role.BENEFICIARY: 2, Partnership.Role.CO_DESIGNER: 2},
    "third": {Partnership.Role.CO_DESIGNER: 4, Partnership.Role.PARTNER: 4, Partnership.Role.BENEFICIARY: 2},
    "company": {Partnership.Role.PARTNER: 4, Partnership.Role.CLIENT: 2, Partnership.Role.FUNDER: 1},
    "informal": {Partnership.Role.CO_DESIGNER: 3, Partnership.Role.BENEFICIARY: 2},
    "other": {Partnership.Role.PARTNER: 1},
}

# --- Territorial demand ------------------------------------------------------------------------

DEMANDS = [
    {
        "organisation": "Circoscrizione 6 – Città di Torino",
        "title_it": "Riattivare i locali sfitti al piano terra di Barriera di Milano",
        "title_en": "Reopening vacant ground-floor premises in Barriera di Milano",
        "description_it": "Lungo gli assi commerciali del quartiere decine di locali sono chiusi da anni. Cerchiamo "
        "competenze per censirli, capire con i proprietari le condizioni di riuso e progettare con le associazioni "
        "usi temporanei a canone calmierato.",
        "sectors": ["gestione-territorio"],
        "targets": ["comunita-locali"],
        "competences": ["rigenerazione-urbana", "progettazione-partecipata"],
        "municipality": "Torino",
        "area": "Barriera di Milano",
        "posted_on": datetime.date(2025, 2, 10),
        "status": TerritorialDemand.Status.IN_PROGRESS,
        "topic": "rigenerazione",
    },
    {
        "organisation": "Banco Alimentare del Piemonte",
        "title_it": "Ottimizzare la logistica del recupero delle eccedenze alimentari",
        "title_en": "Optimising the logistics of food-surplus recovery",
        "description_it": "I nostri volontari ritirano ogni giorno eccedenze da mercati e supermercati. Vorremmo "
        "strumenti per pianificare i giri, ridurre i chilometri percorsi e prevedere le quantità disponibili.",
        "sectors": ["economia-sociale", "servizi-sociali"],
        "targets": ["comunita-fragili", "terzo-settore"],
        "competences": ["innovazione-organizzativa", "data-science-sociale"],
        "municipality": "Moncalieri",
        "posted_on": datetime.date(2024, 11, 4),
        "status": TerritorialDemand.Status.MET,
        "topic": "cibo",
    },
    {
        "organisation": "ANFFAS Torino",
        "title_it": "Ausili personalizzati a basso costo per la vita quotidiana",
        "description_it": "Molte delle persone che seguiamo hanno bisogno di piccoli ausili su misura (impugnature, "
        "supporti, comandi semplificati) che il mercato non offre o offre a costi troppo alti.",
        "sectors": ["sanitario-medicale", "servizi-sociali"],
        "targets": ["persone-con-disabilita"],
        "competences": ["tecnologie-assistive", "accessibilita-design-for-all"],
        "municipality": "Torino",
        "posted_on": datetime.date(2026, 5, 18),
        "status": TerritorialDemand.Status.OPEN,
        "topic": "ausili",
    },
    {
        "organisation": "Comune di Biella",
        "title_it": "Piano per l'eliminazione delle barriere architettoniche (PEBA)",
        "title_en": "A plan to remove architectural barriers (PEBA)",
        "description_it": "Il Comune deve aggiornare il proprio PEBA e cerca un supporto per il rilievo degli edifici "
        "pubblici e dei percorsi, coinvolgendo le associazioni delle persone con disabilità.",
        "sectors": ["gestione-territorio", "social-policy-making"],
        "targets": ["persone-con-disabilita", "cittadinanza"],
        "competences": ["accessibilita-design-for-all", "analisi-gis"],
        "municipality": "Biella",
        "posted_on": datetime.date(2026, 7, 1),
        "status": TerritorialDemand.Status.OPEN,
        "topic": None,
    },
    {
        "organisation": "AUSER Torino",
        "title_it": "Corsi di educazione digitale per volontari e iscritti",
        "description_it": "I nostri iscritti chiedono di imparare a usare SPID, app sanitarie e videochiamate. Ci "
        "servono formatori e materiali adatti a persone con poca esperienza.",
        "sectors": ["servizi-educativi"],
        "targets": ["anziani"],
        "competences": ["didattica-innovativa"],
        "municipality": "Torino",
        "posted_on": datetime.date(2025, 9, 22),
        "status": TerritorialDemand.Status.IN_PROGRESS,
        "topic": "digitale",
    },
    {
        "organisation": "Cooperativa sociale Esserci",
        "title_it": "Misurare l'impatto sociale dei servizi educativi territoriali",
        "title_en": "Measuring the social impact of local educational services",
        "description_it": "Gestiamo servizi educativi per minori in tre quartieri e dobbiamo rendicontarne "
        "l'impatto ai finanziatori: cerchiamo un metodo solido e sostenibile per un'organizzazione piccola.",
        "sectors": ["servizi-educativi", "social-policy-making"],
        "targets": ["bambini-famiglie", "terzo-settore"],
        "competences": ["valutazione-impatto-sociale", "ricerca-sociale"],
        "municipality": "Torino",
        "posted_on": datetime.date(2026, 9, 8),
        "status": TerritorialDemand.Status.OPEN,
        "topic": None,
    },
    {
        "organisation": "Comitato abitanti di Falchera",
        "title_it": "Mappare le isole di calore e le aree verdi del quartiere",
        "description_it": "D'estate alcune zone del quartiere diventano invivibili. Vorremmo una mappa delle aree "
        "più calde e delle possibili ombre, da portare in Circoscrizione.",
        "sectors": ["gestione-territorio", "emergenze"],
        "targets": ["comunita-locali"],
        "competences": ["analisi-gis", "rischi-emergenze"],
        "municipality": "Torino",
        "posted_on": datetime.date(2024, 6, 3),
        "status": TerritorialDemand.Status.CLOSED,
        "topic": None,
    },
]

# --- The plan of the data set ------------------------------------------------------------------

# State, census campaign and time window of creation of each initiative.
STATE_PLAN = (
    [(State.PUBLISHED, None, datetime.date(2022, 10, 3), datetime.date(2025, 3, 14))] * 13
    + [(State.PUBLISHED, "2025", datetime.date(2025, 4, 7), datetime.date(2025, 6, 20))] * 26
    + [(State.PUBLISHED, "2026", datetime.date(2026, 10, 5), datetime.date(2026, 10, 12))] * 6
    + [(State.ARCHIVED, None, datetime.date(2022, 10, 3), datetime.date(2023, 6, 30))] * 4
    + [(State.REJECTED, "2025", datetime.date(2025, 4, 7), datetime.date(2025, 6, 20))] * 2
    + [(State.DRAFT, "2026", datetime.date(2026, 10, 6), datetime.date(2026, 11, 12))] * 5
    + [(State.SUBMITTED, "2026", datetime.date(2026, 10, 6), datetime.date(2026, 10, 20))] * 4
    + [(State.CHANGES_REQUESTED, "2026", datetime.date(2026, 10, 6), datetime.date(2026, 10, 25))] * 4
)


class Command(BaseCommand):
    help = (
        "Create a deterministic, realistic demo data set (about 64 initiatives, 150 people, 70 organisations, "
        "2 census campaigns) and the accounts admin, curatore and ricercatrice (password pops-demo-2026)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo initiatives, people, organisations, campaigns and accounts, then create them again.",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            if options["reset"]:
                removed = delete_demo_data()
                self.stdout.write(f"Removed the previous demo data ({removed} initiatives).")
            elif demo_data_exists():
                self.stdout.write(
                    'Demo data already present (user "admin" or demo initiatives exist): nothing to do. '
                    "Use --reset to recreate it."
                )
                return
            if not Department.objects.exists() or not SDG.objects.exists() or not Sector.objects.exists():
                self.stdout.write("Reference data missing: loading fixtures/reference first.")
                load_reference_data()
            pre_create_historical_record.connect(_mark_as_demo, dispatch_uid="seed_demo_mark")
            try:
                summary = DemoBuilder().build()
            finally:
                pre_create_historical_record.disconnect(dispatch_uid="seed_demo_mark")
        elapsed = time.monotonic() - started
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s."))


def _mark_as_demo(sender, history_instance, **kwargs):
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = DEMO_MARK


HISTORIZED = (Initiative, Participation, Place, Person, CensusCampaign, Organisation, Partnership, TerritorialDemand)


def _demo_ids(model) -> set[int]:
    return set(model.history.filter(history_type="+", history_change_reason=DEMO_MARK).values_list("id", flat=True))


def demo_data_exists() -> bool:
    return (
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).exists()
        or Initiative.objects.filter(pk__in=_demo_ids(Initiative)).exists()
    )


def delete_demo_data() -> int:
    """Delete what an earlier run created (and its history), nothing else."""
    ids = {model: _demo_ids(model) for model in (*HISTORIZED, Product, Impact)}
    TerritorialDemand.objects.filter(pk__in=ids[TerritorialDemand]).delete()
    initiatives = Initiative.objects.filter(pk__in=ids[Initiative])
    removed = initiatives.count()
    initiatives.delete()
    CensusCampaign.objects.filter(pk__in=ids[CensusCampaign]).delete()
    # People and organisations still taking part in someone else's initiatives stay.
    Person.objects.filter(pk__in=ids[Person], participations__isnull=True).delete()
    Organisation.objects.filter(pk__in=ids[Organisation], partnerships__isnull=True).delete()
    get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()
    for model, model_ids in ids.items():
        gone = model_ids - set(model.objects.filter(pk__in=model_ids).values_list("pk", flat=True))
        model.history.filter(id__in=gone).delete()
    return removed


# --- The builder -----------------------------------------------------------------------------


def _codes(model, codes, queryset=None) -> list:
    """Rows of `model` with the given codes, in the given order (unknown codes skipped)."""
    rows = {row.code: row for row in (queryset if queryset is not None else model.objects.all())}
    return [rows[code] for code in codes if code in rows]


class DemoBuilder:
    def __init__(self):
        factory.random.reseed_random(SEED)
        random.seed(SEED)
        self.rng = factory.random.randgen
        for factory_class in (
            UserFactory,
            PersonFactory,
            InitiativeFactory,
            ParticipationFactory,
            PlaceFactory,
            OrganisationFactory,
            PartnershipFactory,
            ProductFactory,
            ImpactFactory,
            CensusCampaignFactory,
            CampaignInvitationFactory,
            TerritorialDemandFactory,
        ):
            factory_class.reset_sequence()

        self.departments = list(Department.objects.filter(is_active=True).order_by("position", "code"))
        self.department_by_code = {d.code: d for d in self.departments}
        self.sectors = list(Sector.objects.filter(is_active=True).order_by("position", "code"))
        self.themes = list(Theme.objects.filter(is_active=True).order_by("position", "code"))
        self.support_kinds = list(SupportKind.objects.filter(is_active=True).order_by("position", "code"))
        self.target_groups = list(TargetGroup.objects.filter(is_active=True).order_by("position", "code"))
        self.priorities = list(Priority.objects.filter(is_active=True).order_by("position", "code"))
        self.competences = {c.code: c for c in Competence.objects.filter(is_active=True).order_by("position")}
        self.sdgs = {s.number: s for s in SDG.objects.order_by("number")}
        self.fields = list(FieldOfAction.objects.for_year(REPORTING_YEAR).filter(is_active=True).order_by("code"))
        self.pe = list(
            PublicEngagementCategory.objects.for_year(REPORTING_YEAR).filter(is_active=True).order_by("code")
        )
        self.areas = list(
            InterventionArea.objects.filter(
                vision__plan__kind="action_plan",
                vision__plan__start_year__lte=REPORTING_YEAR,
                vision__plan__end_year__gte=REPORTING_YEAR,
            ).order_by("vision__position", "position")
        )
        self.product_categories = {c.code: c for c in ProductCategory.objects.filter(is_active=True)}
        self.org_types = {t.code: t for t in OrganisationType.objects.all()}
        self.strategic_objectives = list(
            StrategicObjective.objects.filter(Q(code__startswith="RS.") | Q(code__in=["P.3", "F.2"])).order_by(
                "pillar__position", "position"
            )
        ) or list(StrategicObjective.objects.order_by("pk")[:5])
        self.performance_objectives = list(
            PerformanceObjective.objects.filter(pillar__code="responsabilita-sociale").order_by("position")
        ) or list(PerformanceObjective.objects.order_by("pk")[:5])

    # -- accounts ---------------------------------------------------------------------------

    def build_accounts(self):
        self.admin = UserFactory(
            username="admin", email="admin@example.org", first_name="Amministrazione", last_name="POPS", superuser=True
        )
        self.curator = UserFactory(
            username="curatore",
            email="curatore.pops@polito.it",
            first_name="Marco",
            last_name="Gastaldi",
            staff=True,
        )
        group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=APPS))
        self.curator.groups.add(group)
        self.researcher_user = UserFactory(
            username="ricercatrice", email="giulia.ferrero@polito.it", first_name="Giulia", last_name="Ferrero"
        )

    # -- people -----------------------------------------------------------------------------

    def person_competences(self, department) -> list:
        codes = DEPARTMENT_COMPETENCES.get(department.code if department else "", [])
        pool = [self.competences[c] for c in codes if c in self.competences] or list(self.competences.values())
        chosen = self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3)))
        if self.rng.random() < 0.3:
            extra = self.rng.choice(list(self.competences.values()))
            if extra not in chosen:
                chosen.append(extra)
        return chosen

    def build_people(self, total: int = 150):
        dad = self.department_by_code.get("DAD", self.departments[0])
        self.researcher = PersonFactory(
            first_name="Giulia",
            last_name="Ferrero",
            gender=Person.Gender.FEMALE,
            email="giulia.ferrero@polito.it",
            slug="giulia-ferrero",
            role=Person.Role.ASSOCIATE_PROFESSOR,
            department=dad,
            user=self.researcher_user,
            public_profile=True,
            bio=(
                "Professoressa associata di Tecnologia dell'architettura al Dipartimento di Architettura e Design. "
                "Si occupa di abitare accessibile, progettazione partecipata e rigenerazione dei quartieri "
                "di edilizia pubblica."
            ),
            competences=[
                self.competences[c]
                for c in ("progettazione-partecipata", "accessibilita-design-for-all", "rigenerazione-urbana")
                if c in self.competences
            ],
        )
        people = [self.researcher]
        order = list(self.departments)
        self.rng.shuffle(order)
        for n in range(total - 1):
            department = order[n % len(order)]
            people.append(PersonFactory(department=department, competences=self.person_competences(department)))
        self.people = people
        self.by_department = defaultdict(list)
        for person in people:
            self.by_department[person.department.code if person.department else ""].append(person)

    # -- organisations ----------------------------------------------------------------------

    def build_organisations(self):
        self.orgs = {}
        self.org_kind = {}
        for spec in ORGANISATIONS:
            org_type = self.org_types.get(spec.type) or next(iter(self.org_types.values()))
            self.orgs[spec.name] = OrganisationFactory(
                name=spec.name,
                slug=slugify(spec.name)[:200],
                type=org_type,
                type_other=spec.type_other,
                municipality=spec.municipality,
                website=spec.website,
            )
            self.org_kind[spec.name] = spec.kind

    # -- campaigns --------------------------------------------------------------------------

    def build_campaigns(self):
        self.campaigns = {
            "2025": CensusCampaignFactory(
                year=2025,
                name_it="Censimento 2025",
                name_en="2025 census",
                slug="censimento-2025",
                description_it=(
                    "Prima rilevazione annuale delle iniziative a impatto sociale di docenti, ricercatori, personale "
                    "e studenti del Politecnico di Torino."
                ),
                description_en=(
                    "First yearly census of the social-impact initiatives of the Politecnico di Torino's staff, "
                    "researchers and students."
                ),
                opens_on=datetime.date(2025, 4, 7),
                closes_on=datetime.date(2025, 7, 11),
                target_departments=self.departments,
            ),
            "2026": CensusCampaignFactory(
                year=2026,
                name_it="Censimento 2026",
                name_en="2026 census",
                slug="censimento-2026",
                description_it=("Aggiornamento annuale: nuove iniziative e risultati raggiunti da quelle già censite."),
                description_en="Yearly update: new initiatives and the results of those already in the census.",
                opens_on=datetime.date(2026, 10, 5),
                closes_on=datetime.date(2026, 12, 18),
                target_departments=self.departments,
            ),
        }

    # -- initiatives: plan ------------------------------------------------------------------

    def plan_initiatives(self) -> list[dict]:
        rng = self.rng
        states = list(STATE_PLAN)
        # Topics: each used three or four times, in a shuffled order.
        topic_slots = []
        for round_ in range(4):
            batch = [t for t in TOPICS if round_ < len(t.names)]
            rng.shuffle(batch)
            topic_slots.extend(batch)
        topic_slots = topic_slots[: len(states)]
        rng.shuffle(states)
        english_flags = [True] * (len(states) // 2) + [False] * (len(states) - len(states) // 2)
        rng.shuffle(english_flags)

        setting_use = Counter()
        used_by_topic = defaultdict(set)
        name_index = Counter()
        lead_count = Counter()
        plans = []
        for index, (topic, (state, campaign, first, last)) in enumerate(zip(topic_slots, states, strict=True)):
            name = topic.names[name_index[topic.key]]
            name_index[topic.key] += 1
            setting = self.choose_setting(topic, setting_use, used_by_topic[topic.key])
            head_it, head_en = topic.heads[(name_index[topic.key] - 1) % len(topic.heads)]
            review_rounds = 0
            if state in (State.PUBLISHED, State.ARCHIVED, State.SUBMITTED):
                review_rounds = rng.choices([0, 1, 2], weights=[65, 30, 5])[0]
                if campaign == "2026":
                    review_rounds = min(review_rounds, 1 if state == State.SUBMITTED else 0)
            plans.append(
                {
                    "index": index,
                    "topic": topic,
                    "name": name,
                    "setting": setting,
                    "head": (head_it, head_en),
                    "state": state,
                    "campaign": campaign,
                    "window": (first, last),
                    "review_rounds": review_rounds,
                    "english": english_flags[index],
                    "scale": setting.scale,
                }
            )
        self.assign_researcher(plans)
        for plan in plans:
            self.plan_people(plan, lead_count)
            self.plan_classification(plan)
            self.plan_partners(plan)
        self.cover(plans)
        return plans

    def plan_partners(self, plan):
        """One to four organisations: the local public body, partners typical
        of the topic and, often, the foundation of the province."""
        rng = self.rng
        location = PIEDMONT_LOCATIONS[plan["setting"].locations[0]]
        names = []
        local = LOCAL_PA.get(location.area or location.municipality)
        if local and rng.random() < 0.7:
            names.append(local)
        names.extend(rng.sample(plan["topic"].partners, rng.randint(1, 2)))
        if rng.random() < 0.5:
            names.append(rng.choice(PROVINCE_FUNDERS.get(location.province, DEFAULT_FUNDERS)))
        chosen = []
        for name in names:
            if name in self.orgs and name not in chosen:
                chosen.append(name)
        plan["organisations"] = chosen[:4]

    def choose_setting(self, topic, setting_use, used):
        if "special" in topic.groups:
            return PRISON
        for phrase in topic.preferred:
            if phrase not in used:
                setting = next(s for s in SETTINGS if s.it == phrase)
                setting_use[setting.it] += 1
                used.add(setting.it)
                return setting
        group = self.rng.choices(["quartiere", "comune", "area"], weights=[45, 35, 20])[0]
        if group not in topic.groups:
            group = topic.groups[0] if group == "area" else self.rng.choice(topic.groups)
        candidates = [s for s in SETTINGS if s.group == group and s.it not in used]
        least = min(setting_use[s.it] for s in candidates)
        setting = self.rng.choice([s for s in candidates if setting_use[s.it] == least])
        setting_use[setting.it] += 1
        used.add(setting.it)
        return setting

    def assign_researcher(self, plans):
        """The demo researcher leads five initiatives close to her work, in
        every state a researcher meets: two published, one submitted, one
        draft and one with changes requested."""
        wanted = [State.PUBLISHED, State.PUBLISHED, State.DRAFT, State.CHANGES_REQUESTED, State.SUBMITTED]
        close = {"abitare", "rigenerazione", "patrimonio", "mappatura", "mobilita", "clima"}
        for state in wanted:
            candidates = [
                p for p in plans if p["state"] == state and not p.get("researcher") and p["topic"].key in close
            ] or [p for p in plans if p["state"] == state and not p.get("researcher")]
            if state == State.PUBLISHED:
                candidates = [p for p in candidates if p["campaign"] == "2025"] or candidates
            candidates[0]["researcher"] = True

    def plan_people(self, plan, lead_count):
        rng = self.rng
        topic = plan["topic"]
        if plan.get("researcher"):
            lead = self.researcher
        else:
            seniors = [
                p
                for code in topic.departments
                for p in self.by_department.get(code, [])
                if p.role in SENIOR_ROLES and p is not self.researcher
            ] or [p for p in self.people if p.role in SENIOR_ROLES]
            fewest = min(lead_count[p.pk] for p in seniors)
            lead = rng.choice([p for p in seniors if lead_count[p.pk] == fewest])
        lead_count[lead.pk] += 1
        members = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.65:
                pool = self.by_department.get(rng.choice(topic.departments), []) or self.people
            else:
                pool = self.people
            candidate = rng.choice(pool)
            if candidate is not lead and candidate not in members:
                members.append(candidate)
        if not members:
            members.append(next(p for p in self.people if p is not lead))
        plan["lead"] = lead
        plan["members"] = members

    def plan_classification(self, plan):
        rng = self.rng
        topic = plan["topic"]

        def some(rows, low=1, high=None):
            high = min(high or len(rows), len(rows))
            return rows[: rng.randint(min(low, high), high)] if rows else []

        plan["sectors"] = some(_codes(Sector, topic.sectors, self.sectors))
        plan["themes"] = some(_codes(Theme, topic.themes, self.themes))
        plan["support_kinds"] = some(_codes(SupportKind, topic.support, self.support_kinds))
        plan["target_groups"] = some(_codes(TargetGroup, topic.targets, self.target_groups))
        plan["sdgs"] = some([self.sdgs[n] for n in topic.sdgs if n in self.sdgs], 1, 3)
        plan["fields_of_action"] = some(_codes(FieldOfAction, topic.fields, self.fields), 1, 2)
        plan["pe_categories"] = some(_codes(PublicEngagementCategory, topic.pe, self.pe), 1, 2)
        area_codes = list(topic.areas) + [SFERA_PUBBLICA]
        plan["intervention_areas"] = some(_codes(InterventionArea, area_codes, self.areas), 1, 2)
        plan["priorities"] = rng.sample(self.priorities, rng.randint(1, 2)) if rng.random() < 0.6 else []
        published = plan["state"] in (State.PUBLISHED, State.ARCHIVED)
        plan["strategic_objectives"] = (
            [rng.choice(self.strategic_objectives)]
            if published and self.strategic_objectives and rng.random() < 0.4
            else []
        )
        plan["performance_objectives"] = (
            [rng.choice(self.performance_objectives)]
            if published and self.performance_objectives and rng.random() < 0.25
            else []
        )
        departments = []
        for person in [plan["lead"], *plan["members"]]:
            if person.department is not None and person.department not in departments:
                departments.append(person.department)
        plan["departments"] = departments

    def cover(self, plans):
        """Make sure the published initiatives use every entry of every vocabulary."""
        public = [p for p in plans if p["state"] == State.PUBLISHED]
        vocabularies = {
            "sectors": self.sectors,
            "themes": self.themes,
            "support_kinds": self.support_kinds,
            "target_groups": self.target_groups,
            "sdgs": list(self.sdgs.values()),
            "fields_of_action": self.fields,
            "pe_categories": self.pe,
            "intervention_areas": self.areas,
            "priorities": self.priorities,
        }
        for key, entries in vocabularies.items():
            used = {row.pk for p in public for row in p[key]}
            for entry in entries:
                if entry.pk in used:
                    continue
                target = min(public, key=lambda p: (len(p[key]), p["index"]))
                target[key].append(entry)
        for department in self.departments:
            if any(department in p["departments"] for p in public):
                continue
            target = min(public, key=lambda p: (len(p["members"]), p["index"]))
            person = next(
                (
                    p
                    for p in self.by_department[department.code]
                    if p is not target["lead"] and p not in target["members"]
                ),
                None,
            )
            if person is not None:
                target["members"].append(person)
            target["departments"].append(department)
        for name, spec in zip(self.orgs, ORGANISATIONS, strict=True):
            if any(name in p["organisations"] for p in plans):
                continue
            open_plans = [p for p in public if len(p["organisations"]) < 4] or public
            nearby = [p for p in open_plans if spec.municipality in self.plan_municipalities(p)]
            target = min(nearby or open_plans, key=lambda p: (len(p["organisations"]), p["index"]))
            target["organisations"].append(name)
        for scale in Initiative.Scale.values:
            if not any(p["scale"] == scale for p in public):
                target = next(p for p in public if p["setting"].group != "quartiere")
                target["scale"] = scale

    @staticmethod
    def plan_municipalities(plan) -> set[str]:
        return {PIEDMONT_LOCATIONS[key].municipality for key in plan["setting"].locations}

    # -- initiatives: build -----------------------------------------------------------------

    def texts(self, plan) -> dict:
        topic, setting, name = plan["topic"], plan["setting"], plan["name"]
        head_it, head_en = plan["head"]
        lead_it = topic.lead_sentence[0].format(name=name, where=setting.it)
        lead_en = topic.lead_sentence[1].format(name=name, where=setting.en)
        context_it, context_en = self.rng.choice(DESCRIPTION_CONTEXT)
        objectives = self.rng.sample(topic.objectives, min(3, len(topic.objectives)))
        area = PIEDMONT_LOCATIONS[setting.locations[0]]
        keywords = self.rng.sample(topic.keywords, 4)
        if setting.group in ("quartiere", "comune"):
            keywords.append(area.area or area.municipality)
        texts = {
            "title_it": f"{name} – {head_it} {setting.it}",
            "summary_it": f"{lead_it} {topic.method[0]}",
            "description_it": f"{lead_it}\n\n{topic.method[0]}\n\n{context_it}",
            "objectives_it": "\n".join(f"- {it}" for it, _ in objectives),
            "keywords": ", ".join(keywords[:5]),
            "title_en": None,
            "summary_en": None,
            "description_en": None,
            "objectives_en": None,
        }
        if plan["english"]:
            texts.update(
                {
                    "title_en": f"{name} – {head_en} {setting.en}",
                    "summary_en": f"{lead_en} {topic.method[1]}",
                    "description_en": f"{lead_en}\n\n{topic.method[1]}\n\n{context_en}",
                    "objectives_en": "\n".join(f"- {en}" for _, en in objectives),
                }
            )
        return texts

    def dates(self, plan):
        rng = self.rng
        first, last = plan["window"]
        day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
        created_at = aware(day, rng.randint(8, 18), rng.randint(0, 59))
        if plan["state"] == State.ARCHIVED:
            start = datetime.date(2019, 3, 1) + datetime.timedelta(days=rng.randint(0, 800))
            end = start + datetime.timedelta(days=rng.randint(365, 700))
        elif plan["campaign"] == "2026" and plan["state"] != State.PUBLISHED:
            start = day + datetime.timedelta(days=rng.randint(-400, 90))
            end = None if rng.random() < 0.5 else start + datetime.timedelta(days=rng.randint(365, 1095))
        else:
            start = day - datetime.timedelta(days=rng.randint(30, 900))
            end = None if rng.random() < 0.45 else start + datetime.timedelta(days=rng.randint(240, 1200))
        return created_at, start, end

    def figures(self, plan) -> dict:
        rng = self.rng
        values = {"budget": None, "external_funding": None}
        if rng.random() < 0.8:
            budget = Decimal(rng.randint(6, 400) * 500)
            values["budget"] = budget
            if rng.random() < 0.7:
                values["external_funding"] = (budget * Decimal(rng.randint(20, 100)) / 100).quantize(Decimal("1"))
        reached = plan["state"] in (State.PUBLISHED, State.ARCHIVED)
        values["participants"] = rng.randint(30, 2500) if reached else None
        values["web_accesses"] = rng.randint(500, 40000) if reached and rng.random() < 0.6 else None
        values["publication_copies"] = rng.randint(200, 3000) if reached and rng.random() < 0.2 else None
        values["media_audience"] = rng.randint(5000, 150000) if reached and rng.random() < 0.1 else None
        evaluated = reached and rng.random() < 0.35
        values["impact_evaluated"] = evaluated
        values["impact_evaluation_notes"] = rng.choice(EVALUATION_NOTES) if evaluated else ""
        values["needs"] = rng.choice(NEEDS) if rng.random() < 0.4 else ""
        values["wishes"] = rng.choice(WISHES) if rng.random() < 0.4 else ""
        values["website"] = f"https://{slugify(plan['name'])}.example.org" if reached and rng.random() < 0.3 else ""
        return values

    def build_initiative(self, plan) -> Initiative:
        created_at, start, end = self.dates(plan)
        extra = {}
        if any(s.is_other for s in plan["sectors"]):
            extra["sector_other"] = "Cultura e tempo libero"
        if any(s.is_other for s in plan["support_kinds"]):
            extra["support_other"] = "Comunicazione pubblica dei risultati"
        initiative = InitiativeFactory(
            **self.texts(plan),
            **self.figures(plan),
            **extra,
            scale=plan["scale"],
            state=plan["state"],
            review_rounds=plan["review_rounds"],
            created_at=created_at,
            start_date=start,
            end_date=end,
            campaign=self.campaigns[plan["campaign"]] if plan["campaign"] else None,
            created_by=self.researcher_user if plan.get("researcher") else None,
            lead=False,
            departments=plan["departments"],
            sectors=plan["sectors"],
            themes=plan["themes"],
            support_kinds=plan["support_kinds"],
            target_groups=plan["target_groups"],
            priorities=plan["priorities"],
            sdgs=plan["sdgs"],
            pe_categories=plan["pe_categories"],
            fields_of_action=plan["fields_of_action"],
            intervention_areas=plan["intervention_areas"],
            strategic_objectives=plan["strategic_objectives"],
            performance_objectives=plan["performance_objectives"],
            transitions__reviewer=self.curator,
        )
        ParticipationFactory(
            initiative=initiative,
            person=plan["lead"],
            role=Participation.Role.LEAD,
            can_edit=True,
            position=0,
            contribution=LEAD_CONTRIBUTION,
        )
        for position, person in enumerate(plan["members"], start=1):
            ParticipationFactory(
                initiative=initiative,
                person=person,
                role=Participation.Role.MEMBER,
                can_edit=self.rng.random() < 0.3,
                position=position,
                contribution=self.rng.choice(MEMBER_CONTRIBUTIONS[person.role]),
            )
        self.build_places(initiative, plan)
        self.build_partners(initiative, plan)
        self.build_outputs(initiative, plan)
        return initiative

    def build_places(self, initiative, plan):
        setting = plan["setting"]
        keys = list(setting.locations)
        if setting.group in ("quartiere", "comune", "special") and self.rng.random() < 0.3:
            extra = (
                "Torino"
                if setting.group == "comune"
                else self.rng.choice([k for k, loc in PIEDMONT_LOCATIONS.items() if loc.area and k not in keys])
            )
            keys.append(extra)
        for key in keys[:3]:
            PlaceFactory(initiative=initiative, location=PIEDMONT_LOCATIONS[key])

    def build_partners(self, initiative, plan):
        for position, name in enumerate(plan["organisations"]):
            weights = ROLE_BY_KIND[self.org_kind[name]]
            role = self.rng.choices(list(weights), weights=list(weights.values()))[0]
            PartnershipFactory(initiative=initiative, organisation=self.orgs[name], role=role, position=position)

    def build_outputs(self, initiative, plan):
        rng = self.rng
        topic = plan["topic"]
        place = PIEDMONT_LOCATIONS[plan["setting"].locations[0]]
        where = place.area or place.municipality
        reached = plan["state"] in (State.PUBLISHED, State.ARCHIVED)
        first_year = initiative.start_date.year if initiative.start_date else 2025
        last_year = max(first_year, min(initiative.created_at.year, 2026))
        for position, (code, title, description) in enumerate(
            rng.sample(topic.products, rng.randint(1, min(3, len(topic.products))))
        ):
            category = self.product_categories.get(code) or next(iter(self.product_categories.values()))
            url = ""
            if code == "dati-report-open-access" and reached:
                url = f"https://dati.example.org/{slugify(plan['name'])}"
            ProductFactory(
                initiative=initiative,
                category=category,
                title=f"{title} ({where})" if plan["setting"].group in ("quartiere", "comune") else title,
                description=description,
                url=url,
                year=rng.randint(first_year, last_year) if reached else None,
                position=position,
            )
        specs = rng.sample(topic.impacts, rng.randint(1, min(3, len(topic.impacts))))
        today = min(DEMO_NOW.date(), initiative.published_at.date() if initiative.published_at else DEMO_NOW.date())
        for position, (category, indicator, unit, description, baseline, target) in enumerate(specs):
            scale = rng.choice([1, 1, 2]) if target > baseline else 1
            values = {
                "initiative": initiative,
                "category": category,
                "indicator": indicator,
                "unit": unit,
                "description": description,
                "baseline": Decimal(baseline),
                "target": Decimal(target * scale if target > baseline else target),
                "position": position,
            }
            if reached and (position == 0 or rng.random() < 0.5):
                start = initiative.start_date or today - datetime.timedelta(days=365)
                measured = start + datetime.timedelta(days=rng.randint(90, 720))
                ImpactFactory(
                    **values,
                    achieved=True,
                    measured_on=min(measured, today),
                    evidence_url=(
                        f"https://dati.example.org/{slugify(plan['name'])}/impatto" if rng.random() < 0.3 else ""
                    ),
                )
            else:
                ImpactFactory(**values)

    # -- census invitations -----------------------------------------------------------------

    def build_invitations(self, initiatives):
        rng = self.rng
        answered = {"2025": set(), "2026": set()}
        for initiative in initiatives:
            campaign = initiative.campaign
            if campaign is None or initiative.state == State.DRAFT:
                continue
            key = str(campaign.year)
            answered[key].update(p.person_id for p in initiative.participations.all() if p.role == "lead")
        rows = []
        for key, campaign in self.campaigns.items():
            invited_at = aware(campaign.opens_on, 9)
            last_day = min(campaign.closes_on, DEMO_NOW.date())
            for person in self.people:
                if person.role == Person.Role.STUDENT:
                    continue
                responded = person.pk in answered[key] or rng.random() < (0.3 if key == "2025" else 0.15)
                opened = responded or rng.random() < 0.5
                opened_at = responded_at = None
                if opened:
                    opened_at = invited_at + datetime.timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 8))
                if responded:
                    responded_at = opened_at + datetime.timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 5))
                reminders = 0 if responded else min(3, ((last_day - campaign.opens_on).days) // 7)
                ceiling = aware(last_day, 18)
                rows.append(
                    CampaignInvitationFactory.build(
                        campaign=campaign,
                        person=person,
                        invited_at=invited_at,
                        opened_at=min(opened_at, ceiling) if opened_at else None,
                        responded_at=min(responded_at, ceiling) if responded_at else None,
                        reminders_sent=reminders,
                        last_reminded_at=(
                            invited_at + datetime.timedelta(days=campaign.reminder_every_days * reminders)
                            if reminders
                            else None
                        ),
                    )
                )
        CampaignInvitation.objects.bulk_create(rows)
        return len(rows)

    # -- territorial demand -----------------------------------------------------------------

    def build_demands(self, plans, initiatives):
        by_topic = defaultdict(list)
        for plan, initiative in zip(plans, initiatives, strict=True):
            if initiative.state == State.PUBLISHED:
                by_topic[plan["topic"].key].append((plan, initiative))
        count = 0
        for spec in DEMANDS:
            org = self.orgs.get(spec["organisation"])
            if org is None:
                continue
            responding = []
            if spec["topic"] and spec["status"] in (TerritorialDemand.Status.IN_PROGRESS, TerritorialDemand.Status.MET):
                # Initiatives of the topic, nearest first (same neighbourhood, then same town).
                candidates = sorted(
                    by_topic.get(spec["topic"], []),
                    key=lambda pair: (
                        spec.get("area", "") not in pair[0]["setting"].locations,
                        spec["municipality"] not in self.plan_municipalities(pair[0]),
                        pair[0]["index"],
                    ),
                )
                responding = [initiative for _, initiative in candidates[:2]]
            TerritorialDemandFactory(
                organisation=org,
                title_it=spec["title_it"],
                title_en=spec.get("title_en"),
                description_it=spec["description_it"],
                municipality=spec["municipality"],
                contact_email=organisation_email("territorio", spec["organisation"]),
                posted_on=spec["posted_on"],
                status=spec["status"],
                sectors=_codes(Sector, spec["sectors"], self.sectors),
                target_groups=_codes(TargetGroup, spec["targets"], self.target_groups),
                competences=[self.competences[c] for c in spec["competences"] if c in self.competences],
                initiatives=responding,
            )
            count += 1
        return count

    # -- all together -----------------------------------------------------------------------

    def build(self) -> list[str]:
        self.build_accounts()
        self.build_people()
        self.build_organisations()
        self.build_campaigns()
        plans = self.plan_initiatives()
        initiatives = [self.build_initiative(plan) for plan in plans]
        invitations = self.build_invitations(initiatives)
        demands = self.build_demands(plans, initiatives)
        return self.summary(initiatives, invitations, demands)

    def summary(self, initiatives, invitations, demands) -> list[str]:
        ids = [i.pk for i in initiatives]
        states = Counter(i.state for i in initiatives)
        people_ids = [p.pk for p in self.people]
        lines = [
            "Demo data:",
            f"  initiatives      {len(initiatives):4}  ("
            + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
            + f"; {sum(1 for i in initiatives if i.title_en)} also in English)",
            f"  people           {len(self.people):4}  "
            f"({Person.objects.filter(pk__in=people_ids, public_profile=True).count()} in the public directory)",
            f"  participations   {Participation.objects.filter(initiative_id__in=ids).count():4}",
            f"  organisations    {len(self.orgs):4}  "
            f"({Partnership.objects.filter(initiative_id__in=ids).count()} partnerships)",
            f"  places           {Place.objects.filter(initiative_id__in=ids).count():4}",
            f"  products         {Product.objects.filter(initiative_id__in=ids).count():4}",
            f"  impacts          {Impact.objects.filter(initiative_id__in=ids).count():4}",
            f"  state changes    {StateTransition.objects.filter(initiative_id__in=ids).count():4}",
            f"  census campaigns {len(self.campaigns):4}  ({invitations} invitations)",
            f"  territorial demands {demands:2}",
            "Accounts (password " + DEMO_PASSWORD + "):",
            "  admin         superuser",
            '  curatore      staff, group "' + CURATORS_GROUP + '"',
            f"  ricercatrice  researcher {self.researcher.full_name}, "
            f"lead of {Participation.objects.filter(person=self.researcher, role='lead').count()} initiatives",
        ]
        return lines
