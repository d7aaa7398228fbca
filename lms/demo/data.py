"""The demo's content: centres, courses, run plans and people (data only)."""

from datetime import date, time, timedelta
from typing import NamedTuple

from lms.auth.models import Role
from lms.courses.models import CertificateStyle

# ---------------------------------------------------------------- centres

CENTRES: tuple[dict[str, str], ...] = (
    {
        "serial_prefix": "BUD",
        "name": "Fővárosi Szociális Módszertani Forrásközpont",
        "city": "Budapest",
        "region": "Budapest",
        "address": "1083 Budapest, Szigony utca 12.",
        "signatory_name": "Dr. Hegedűs Márta",
        "signatory_title": "intézményvezető",
    },
    {
        "serial_prefix": "SZO",
        "name": "Szolnoki Módszertani Forrásközpont",
        "city": "Szolnok",
        "region": "Jász-Nagykun-Szolnok",
        "address": "5000 Szolnok, Baross Gábor út 21.",
        "signatory_name": "Pintér Judit",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "BCS",
        "name": "Békéscsabai Módszertani Forrásközpont",
        "city": "Békéscsaba",
        "region": "Békés",
        "address": "5600 Békéscsaba, Szabadság tér 7.",
        "signatory_name": "Nagyné Farkas Ildikó",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "SZF",
        "name": "Székesfehérvári Módszertani Forrásközpont",
        "city": "Székesfehérvár",
        "region": "Fejér",
        "address": "8000 Székesfehérvár, Távirda utca 4.",
        "signatory_name": "Varga Tamás",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "ZEG",
        "name": "Zalaegerszegi Módszertani Forrásközpont",
        "city": "Zalaegerszeg",
        "region": "Zala",
        "address": "8900 Zalaegerszeg, Kossuth Lajos utca 35.",
        "signatory_name": "Tóth Krisztina",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "DEB",
        "name": "Debreceni Módszertani Forrásközpont",
        "city": "Debrecen",
        "region": "Hajdú-Bihar",
        "address": "4025 Debrecen, Piac utca 54.",
        "signatory_name": "Dr. Balogh Zoltán",
        "signatory_title": "intézményvezető",
    },
    {
        "serial_prefix": "NYH",
        "name": "Nyíregyházi Módszertani Forrásközpont",
        "city": "Nyíregyháza",
        "region": "Szabolcs-Szatmár-Bereg",
        "address": "4400 Nyíregyháza, Szarvas utca 18.",
        "signatory_name": "Papp Erika",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "GYO",
        "name": "Győri Módszertani Forrásközpont",
        "city": "Győr",
        "region": "Győr-Moson-Sopron",
        "address": "9021 Győr, Árpád út 31.",
        "signatory_name": "Németh Ferenc",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "PEC",
        "name": "Pécsi Módszertani Forrásközpont",
        "city": "Pécs",
        "region": "Baranya",
        "address": "7621 Pécs, Király utca 46.",
        "signatory_name": "Dr. Mohácsi Ágnes",
        "signatory_title": "intézményvezető",
    },
    {
        "serial_prefix": "EGE",
        "name": "Egri Módszertani Forrásközpont",
        "city": "Eger",
        "region": "Heves",
        "address": "3300 Eger, Széchenyi István utca 16.",
        "signatory_name": "Lakatos Gergely",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "SZH",
        "name": "Szombathelyi Módszertani Forrásközpont",
        "city": "Szombathely",
        "region": "Vas",
        "address": "9700 Szombathely, Király utca 9.",
        "signatory_name": "Simon Orsolya",
        "signatory_title": "központvezető",
    },
    {
        "serial_prefix": "RAZ",
        "name": "Ресурсен център за социални услуги за деца и семейства – Разград",
        "city": "Разград",
        "region": "Разград",
        "country": "BG",
        "organisation": "Сдружение „Подкрепа за детето и семейството“",
        "address": "ул. „Цар Освободител“ 14, 7200 Разград",
        "signatory_name": "Даниела Маринова",
        "signatory_title": "Ръководител на ресурсния център",
    },
)

# The room each centre trains in; the venue is the centre's name and address.
ROOMS: dict[str, str] = {
    "BUD": "Nagyterem, I. emelet",
    "SZO": "Képzési terem",
    "BCS": "Tanácsterem",
    "SZF": "Oktatóterem, földszint",
    "ZEG": "Képzési terem",
    "DEB": "2. számú oktatóterem",
    "NYH": "Közösségi terem",
    "GYO": "Képzési terem",
    "PEC": "Nagyterem",
    "EGE": "Műhelyterem",
    "SZH": "Képzési terem",
    "RAZ": "Зала 2",
}

# What a run inherits from its centre's country: language, certificate, funding.
COUNTRY_RUN_FIELDS: dict[str, dict[str, object]] = {
    "HU": {
        "language": "hu",
        "certificate_style": CertificateStyle.TANUSITVANY,
        "funding_note": (
            "A képzés az Európai Unió támogatásával, az Európai Szociális Alap "
            "társfinanszírozásával, az EFOP program keretében valósul meg."
        ),
    },
    "BG": {
        "language": "bg",
        "certificate_style": CertificateStyle.RAZGRAD,
        "funding_note": (
            "Обучението се провежда с финансовата подкрепа на "
            "Българо-швейцарската програма за сътрудничество."
        ),
    },
}

# The programmes that fund the demo's runs, by the country of the run's centre.
PROGRAMMES: dict[str, dict[str, object]] = {
    "HU": {
        "code": "EFOP Plusz-3.2.1-24", "name": "Szociális szakemberek továbbképzése",
        "funder": "Európai Szociális Alap Plusz", "starts_on": date(2025, 1, 1),
        "ends_on": date(2028, 12, 31),
        "acknowledgement_hu": "A képzés az Európai Unió támogatásával, az Európai Szociális Alap "
                              "Plusz társfinanszírozásával valósul meg.",
        "acknowledgement_bg": "",
        "acknowledgement_en": "Co-funded by the European Union through the European Social "
                              "Fund Plus.",
        "asks_participant_data": True, "target_participants": 400,
        "target_completions": 340, "target_hours": 12000, "target_long_runs": 6,
        "target_short_runs": 10, "active": True,
    },
    "BG": {
        "code": "BG-CH-RAZ-2026", "name": "Ресурсен център за социални услуги – Разград",
        "funder": "Българо-швейцарска програма за сътрудничество",
        "starts_on": date(2026, 1, 1), "ends_on": date(2027, 12, 31),
        "acknowledgement_hu": "",
        "acknowledgement_bg": "Обучението се провежда с финансовата подкрепа на "
                              "Българо-швейцарската програма за сътрудничество.",
        "acknowledgement_en": "Supported by a grant from Switzerland through the Swiss "
                              "contribution to the enlarged European Union.",
        "asks_participant_data": False, "target_participants": 120,
        "target_completions": 100, "target_hours": None, "target_long_runs": None,
        "target_short_runs": 5, "active": True,
    },
}

# Fixed public holidays (month, day) without sessions, besides the winter break (24 Dec – 1 Jan).
HOLIDAYS: dict[str, frozenset[tuple[int, int]]] = {
    "HU": frozenset({(3, 15), (5, 1), (8, 20), (10, 23), (11, 1)}),
    "BG": frozenset({(3, 3), (5, 1), (5, 6), (5, 24), (9, 6), (9, 22)}),
}

# ---------------------------------------------------------------- courses


class CourseSpec(NamedTuple):
    code: str
    title: str
    summary: str
    description: str
    total_hours: int
    target_group: str
    modules: tuple[tuple[str, int], ...]  # (title, hours)
    language: str = "hu"
    accreditation_number: str = ""
    credit_points: int | None = None


COURSES: tuple[CourseSpec, ...] = (
    CourseSpec(
        code="KAP-60",
        title="Közösségi alapú szociális szolgáltatások",
        summary=(
            "A közösségi alapú szolgáltatások tervezése, szervezése és működtetése a helyi "
            "szükségletekre építve, az intézményi ellátás kiváltásának szemléletében."
        ),
        description=(
            "A 60 órás továbbképzés a közösségi alapú szociális szolgáltatások elveit, jogi "
            "kereteit és gyakorlati módszereit dolgozza fel. A résztvevők megtanulják felmérni "
            "a helyi szükségleteket, együttműködni a jelzőrendszer tagjaival és a civil "
            "partnerekkel, valamint dokumentálni és értékelni a szolgáltatás minőségét. "
            "A képzés esetmegbeszélésekre, csoportmunkára és a résztvevők saját gyakorlatára épít."
        ),
        total_hours=60,
        target_group=(
            "Család- és gyermekjóléti szolgálatok, házi segítségnyújtás és támogató "
            "szolgáltatások munkatársai, önkormányzati szociális ügyintézők, civil szervezetek "
            "szakemberei"
        ),
        modules=(
            ("A közösségi alapú ellátás elvei és jogi keretei", 8),
            ("Szükségletfelmérés és szolgáltatástervezés", 12),
            ("Esetkezelés és együttműködés a jelzőrendszerben", 12),
            ("Kiváltás: az intézményi ellátástól a közösségi szolgáltatásig", 10),
            ("Önkéntesek és civil partnerek bevonása", 8),
            ("Minőségbiztosítás, dokumentáció és záró műhely", 10),
        ),
        accreditation_number="T-02-041/2026",
        credit_points=40,
    ),
    CourseSpec(
        code="PEN-60",
        title="Pénzügyi tudatosság, háztartási költségvetés és adósságkezelés",
        summary=(
            "Gyakorlati eszközök a háztartások pénzügyi tervezéséhez, az eladósodás "
            "megelőzéséhez és az adósságkezelési tanácsadáshoz."
        ),
        description=(
            "A képzés felkészíti a szociális szakembereket arra, hogy ügyfeleikkel közösen "
            "háztartási költségvetést készítsenek, felismerjék az eladósodás korai jeleit, és "
            "eligazodjanak a közüzemi tartozások, a végrehajtás és az adósságrendezés szabályai "
            "között. A gyakorlati foglalkozásokon valós esetekből készült feladatokon dolgozunk."
        ),
        total_hours=60,
        target_group=(
            "Adósságkezelési tanácsadók, családsegítők, szociális ügyintézők, hitel- és "
            "adósságproblémákkal foglalkozó civil segítők"
        ),
        modules=(
            ("Pénzügyi alapismeretek és fogyasztói jogok", 10),
            ("A háztartási költségvetés tervezése", 12),
            ("Eladósodás: okok, jelek, megelőzés", 10),
            ("Adósságkezelési szolgáltatás és tanácsadási technikák", 16),
            ("Közüzemi tartozások, végrehajtás, adósságrendezés", 12),
        ),
        accreditation_number="T-02-058/2026",
        credit_points=40,
    ),
    CourseSpec(
        code="KF-24-1",
        title="Közösségfejlesztés a gyakorlatban",
        summary=(
            "A közösségfejlesztés alapjai: a helyi erőforrások feltárása, közösségi akciók "
            "tervezése és megvalósítása."
        ),
        description=(
            "A 24 órás képzés a közösségfejlesztés szemléletét és módszereit mutatja be "
            "gyakorlati példákon keresztül. A résztvevők feltérképezik saját településük "
            "közösségi erőforrásait, és kiscsoportban megterveznek egy megvalósítható "
            "közösségi akciót."
        ),
        total_hours=24,
        target_group=(
            "Közösségfejlesztők, művelődésszervezők, szociális szakemberek, helyi civil "
            "szervezetek tagjai"
        ),
        modules=(
            ("A közösségfejlesztés alapjai és szemlélete", 6),
            ("Helyi közösségek és erőforrások feltérképezése", 6),
            ("Közösségi akciók tervezése és megvalósítása", 8),
            ("Esettanulmányok és reflexió", 4),
        ),
        accreditation_number="T-05-112/2026",
        credit_points=16,
    ),
    CourseSpec(
        code="KF-24-2",
        title="Önkéntesek bevonása a helyi közösségi munkába",
        summary=(
            "Hogyan toborozzunk, készítsünk fel és tartsunk meg önkénteseket a helyi közösségi "
            "és szociális munkában?"
        ),
        description=(
            "A képzés az önkéntesprogramok teljes ciklusát feldolgozza a toborzástól a "
            "felkészítésen és a mentoráláson át az értékelésig. Kitér az önkéntes jogviszony "
            "szabályaira, a felelősségvállalás kérdéseire és az önkéntesek megbecsülésének "
            "formáira."
        ),
        total_hours=24,
        target_group=(
            "Civil szervezetek és szociális intézmények önkéntes-koordinátorai, falu- és "
            "tanyagondnokok"
        ),
        modules=(
            ("Az önkéntesség formái és jogi háttere", 4),
            ("Önkéntesek toborzása és kiválasztása", 6),
            ("Felkészítés, mentorálás, megtartás", 8),
            ("Önkéntesprogramok értékelése", 6),
        ),
    ),
    CourseSpec(
        code="KF-24-3",
        title="Részvételi tervezés a településeken",
        summary=(
            "A lakosság bevonása a települési döntésekbe: fórumok, közösségi felmérések és "
            "részvételi költségvetés."
        ),
        description=(
            "A képzés bemutatja, hogyan vonhatók be a helyi lakosok, civil szervezetek és "
            "intézmények a települési tervezésbe. A résztvevők kipróbálják a közösségi műhely, "
            "a lakossági fórum és a részvételi költségvetés módszereit, és saját településükre "
            "szabott cselekvési tervet készítenek."
        ),
        total_hours=24,
        target_group=(
            "Önkormányzati képviselők és ügyintézők, településfejlesztők, civil szervezetek vezetői"
        ),
        modules=(
            ("A részvételi tervezés elvei", 6),
            ("Módszerek: fórum, közösségi műhely, lakossági felmérés", 10),
            ("Részvételi költségvetés és helyi döntéshozatal", 8),
        ),
    ),
    CourseSpec(
        code="RAZ-SEM-24",
        title="Работа със семейства в риск",
        summary=(
            "Оценка на риска, подкрепа на родителския капацитет и междуинституционално "
            "сътрудничество в работата със семейства в риск."
        ),
        description=(
            "Обучението запознава участниците с подходите за оценка на потребностите на детето "
            "и семейството, с техники за мотивиране и подкрепа на родителите и с механизмите "
            "за координация между социалните услуги, отделите „Закрила на детето“, училищата и "
            "здравните специалисти. Работи се по случаи от практиката на участниците."
        ),
        total_hours=24,
        target_group=(
            "Социални работници, психолози и педагози от социални услуги за деца и семейства, "
            "служители на отделите „Закрила на детето“"
        ),
        modules=(
            ("Оценка на риска и на потребностите на детето и семейството", 8),
            ("Подкрепа на родителския капацитет", 8),
            ("Междуинституционално сътрудничество и работа по случай", 8),
        ),
        language="bg",
    ),
    CourseSpec(
        code="RAZ-EKP-60",
        title="Екипна работа в социалните услуги за деца и семейства",
        summary=(
            "Изграждане на ефективни мултидисциплинарни екипи: роли, комуникация, супервизия "
            "и планиране на грижата."
        ),
        description=(
            "Шестдесетчасовото обучение е предназначено за екипите на социалните услуги за "
            "деца и семейства. Участниците развиват умения за съвместно планиране и водене на "
            "случаи, за конструктивна комуникация и разрешаване на конфликти, както и за "
            "превенция на професионалното прегаряне чрез супервизия и взаимна подкрепа."
        ),
        total_hours=60,
        target_group=(
            "Екипи на социални услуги за деца и семейства, ръководители на услуги, общински "
            "служители и представители на неправителствени организации"
        ),
        modules=(
            ("Основи на екипната работа и роли в екипа", 10),
            ("Комуникация и разрешаване на конфликти", 12),
            ("Супервизия и превенция на професионалното прегаряне", 12),
            ("Планиране на грижата и работа по случай", 14),
            ("Партньорство с общината и неправителствените организации", 12),
        ),
        language="bg",
    ),
    CourseSpec(
        code="RAZ-PRE-24",
        title="Превенция на изоставянето на деца и подкрепа за родителите",
        summary=(
            "Ранно разпознаване на риска от изоставяне и услуги в общността, които помагат "
            "детето да остане в семейството си."
        ),
        description=(
            "Обучението разглежда рисковите фактори за изоставяне на деца, ранните сигнали и "
            "възможностите за навременна намеса. Представят се услуги в общността, "
            "консултиране на родители и добри практики за сътрудничество между общината, "
            "здравните заведения и неправителствените организации."
        ),
        total_hours=24,
        target_group=(
            "Социални работници, медицински специалисти, служители на общини и "
            "неправителствени организации"
        ),
        modules=(
            ("Рискови фактори и ранни сигнали", 6),
            ("Консултиране и подкрепа на родителите", 8),
            ("Услуги в общността и приемна грижа", 6),
            ("Случаи от практиката и план за действие", 4),
        ),
        language="bg",
    ),
    CourseSpec(
        code="RAZ-SUP-24",
        title="Супервизия и грижа за екипа в социалните услуги за деца и семейства",
        summary=(
            "Как екипите на услугите за деца и семейства да предотвратяват професионалното "
            "прегаряне чрез супервизия, интервизия и взаимна подкрепа."
        ),
        description=(
            "Обучението запознава ръководители и специалисти с формите на супервизия, "
            "признаците на професионално прегаряне и начините екипът да си помага. "
            "Участниците упражняват водене на интервизионна среща и съставят план за грижа "
            "за екипа в своята услуга."
        ),
        total_hours=24,
        target_group=(
            "Ръководители и специалисти в социални услуги за деца и семейства, "
            "служители на общини"
        ),
        modules=(
            ("Професионален стрес и прегаряне", 6),
            ("Видове супервизия и интервизия", 8),
            ("Водене на интервизионна среща", 6),
            ("План за грижа за екипа", 4),
        ),
        language="bg",
    ),
)

# ---------------------------------------------------------------- runs


class Slot(NamedTuple):
    """A training day's times and its credited minutes (breaks are not credited)."""

    starts_at: time
    ends_at: time
    minutes: int


SLOTS: dict[str, Slot] = {
    "6h": Slot(time(9, 0), time(15, 30), 360),
    "7.5h": Slot(time(8, 30), time(16, 30), 450),
    "8h": Slot(time(8, 30), time(17, 0), 480),
}

MON, TUE, WED, THU, FRI = range(5)


class RunSpec(NamedTuple):
    course: str  # course code; a course has at most one demo run per centre
    centre: str  # serial prefix
    weeks: int  # weeks from `today` to the start of the schedule (negative: held already)
    weekdays: tuple[int, ...]
    slot: str
    capacity: int
    approval_required: bool = False
    publish: bool = True
    registration: int = 0  # the Razgrad register's number for the run
    style: CertificateStyle | None = None  # else the country's usual style


RUNS: tuple[RunSpec, ...] = (
    RunSpec("KAP-60", "BUD", 3, (TUE, THU), "6h", 24),
    RunSpec("KAP-60", "DEB", 5, (MON, WED), "7.5h", 20, approval_required=True),
    RunSpec("KAP-60", "PEC", 9, (TUE, WED), "6h", 18, publish=False),
    RunSpec("PEN-60", "SZO", 2, (TUE, WED, THU), "6h", 20),
    RunSpec("PEN-60", "NYH", 6, (MON, THU), "7.5h", 18),
    RunSpec("PEN-60", "GYO", 9, (WED, FRI), "6h", 16, style=CertificateStyle.DEFAULT),
    RunSpec("KF-24-1", "BCS", 4, (TUE, THU), "6h", 20),
    RunSpec("KF-24-1", "DEB", -8, (WED, THU, FRI), "8h", 15),
    RunSpec("KF-24-2", "SZF", 7, (WED, THU, FRI), "8h", 22),
    RunSpec("KF-24-2", "ZEG", 10, (MON, WED), "6h", 18, approval_required=True),
    RunSpec("KF-24-3", "EGE", 5, (THU, FRI), "6h", 25),
    RunSpec("RAZ-SEM-24", "RAZ", 3, (TUE, WED, THU), "8h", 20, registration=11),
    RunSpec(
        "RAZ-EKP-60", "RAZ", 6, (MON, WED, FRI), "6h", 16, approval_required=True, registration=12
    ),
    RunSpec("RAZ-PRE-24", "RAZ", 9, (TUE, THU), "6h", 15, registration=13),
    # Held twelve weeks ago, closed, its certificates issued (see CLOSED_RUN).
    RunSpec("RAZ-SUP-24", "RAZ", -12, (TUE, WED, THU), "8h", 15, registration=9),
)

ENROLMENT_LEAD = timedelta(days=42)  # enrolment opens six weeks before the first session
ENROLMENT_CLOSES_BEFORE = timedelta(days=7)

# ---------------------------------------------------------------- people


class UserSpec(NamedTuple):
    role: Role
    email: str
    full_name: str
    organisation: str
    job_title: str
    county: str
    settlement: str


USERS: tuple[UserSpec, ...] = (
    UserSpec(
        Role.ADMIN,
        "admin@forras.example",
        "Kovács Anna",
        "Fővárosi Szociális Módszertani Forrásközpont",
        "képzési koordinátor",
        "Budapest",
        "Budapest",
    ),
    UserSpec(
        Role.TRAINER,
        "eszter.nagy@forras.example",
        "Dr. Nagy Eszter",
        "Fővárosi Szociális Módszertani Forrásközpont",
        "szociálpolitikus, tréner",
        "Budapest",
        "Budapest",
    ),
    UserSpec(
        Role.TRAINER,
        "gabor.horvath@forras.example",
        "Horváth Gábor",
        "Debreceni Módszertani Forrásközpont",
        "adósságkezelési szakértő",
        "Hajdú-Bihar",
        "Debrecen",
    ),
    UserSpec(
        Role.TRAINER,
        "katalin.szabo@forras.example",
        "Szabó Katalin",
        "Pécsi Módszertani Forrásközpont",
        "közösségfejlesztő tréner",
        "Baranya",
        "Pécs",
    ),
    UserSpec(
        Role.TRAINER,
        "laszlo.fekete@forras.example",
        "Fekete László",
        "Szolnoki Módszertani Forrásközpont",
        "szupervizor, tréner",
        "Jász-Nagykun-Szolnok",
        "Szolnok",
    ),
    UserSpec(
        Role.TRAINER,
        "elena.dimitrova@forras.example",
        "Елена Димитрова",
        "Ресурсен център за социални услуги за деца и семейства – Разград",
        "психолог, обучител",
        "Разград",
        "Разград",
    ),
    UserSpec(
        Role.TRAINER,
        "georgi.stoyanov@forras.example",
        "Георги Стоянов",
        "Ресурсен център за социални услуги за деца и семейства – Разград",
        "социален работник, супервизор",
        "Русе",
        "Русе",
    ),
    UserSpec(
        Role.TRAINEE,
        "gyongyver.torok@forras.example",
        "Török Gyöngyvér",
        "Szolnoki Család- és Gyermekjóléti Központ",
        "családsegítő",
        "Jász-Nagykun-Szolnok",
        "Szolnok",
    ),
    UserSpec(
        Role.TRAINEE,
        "erzsebet.szucs@forras.example",
        "Szűcs Erzsébet",
        "Békési Kistérségi Szociális Szolgáltató Központ",
        "szociális munkás",
        "Békés",
        "Békés",
    ),
    UserSpec(
        Role.TRAINEE,
        "odon.lorincz@forras.example",
        "Lőrincz Ödön",
        "Őriszentpéter Község Önkormányzata",
        "falugondnok",
        "Vas",
        "Őriszentpéter",
    ),
    UserSpec(
        Role.TRAINEE,
        "tunde.szoke@forras.example",
        "Szőke Tünde",
        "Hajdúböszörményi Szociális Szolgáltató Központ",
        "adósságkezelési tanácsadó",
        "Hajdú-Bihar",
        "Hajdúböszörmény",
    ),
    UserSpec(
        Role.TRAINEE,
        "peter.biro@forras.example",
        "Bíró Péter",
        "Nyírségi Közösségfejlesztő Egyesület",
        "közösségfejlesztő",
        "Szabolcs-Szatmár-Bereg",
        "Nyírbátor",
    ),
    UserSpec(
        Role.TRAINEE,
        "boglarka.kiss@forras.example",
        "Kiss Boglárka",
        "Mór Város Polgármesteri Hivatala",
        "szociális ügyintéző",
        "Fejér",
        "Mór",
    ),
    UserSpec(
        Role.TRAINEE,
        "aniko.fuzi@forras.example",
        "Fűzi Anikó",
        "Zalaegerszegi Gondozási Központ",
        "házi segítségnyújtás szakmai vezetője",
        "Zala",
        "Zalaegerszeg",
    ),
    UserSpec(
        Role.TRAINEE,
        "daniel.gulyas@forras.example",
        "Gulyás Dániel",
        "Mátra Önkéntes Centrum Egyesület",
        "önkéntes-koordinátor",
        "Heves",
        "Gyöngyös",
    ),
    UserSpec(
        Role.TRAINEE,
        "maria.petrova@forras.example",
        "Мария Петрова",
        "Комплекс за социални услуги за деца и семейства – Разград",
        "социален работник",
        "Разград",
        "Разград",
    ),
    UserSpec(
        Role.TRAINEE,
        "ivan.georgiev@forras.example",
        "Иван Георгиев",
        "Община Исперих",
        "старши експерт „Социални дейности“",
        "Разград",
        "Исперих",
    ),
    UserSpec(
        Role.TRAINEE,
        "desislava.koleva@forras.example",
        "Десислава Колева",
        "Център за обществена подкрепа – Кубрат",
        "психолог",
        "Разград",
        "Кубрат",
    ),
    UserSpec(
        Role.TRAINEE,
        "stefan.mitev@forras.example",
        "Стефан Митев",
        "Сдружение „Бъдеще за децата“",
        "координатор на доброволци",
        "Разград",
        "Завет",
    ),
)


# ---------------------------------------------------------------- loading

# ---------------------------------------------------------------- enrolments

# (trainee e-mail, course code, centre prefix); runs needing approval give pending ones.
ENROLMENTS: tuple[tuple[str, str, str], ...] = (
    ("gyongyver.torok@forras.example", "KF-24-1", "BCS"),
    ("erzsebet.szucs@forras.example", "KF-24-1", "BCS"),
    ("peter.biro@forras.example", "KF-24-1", "BCS"),
    ("aniko.fuzi@forras.example", "KF-24-1", "BCS"),
    ("odon.lorincz@forras.example", "PEN-60", "SZO"),
    ("tunde.szoke@forras.example", "PEN-60", "SZO"),
    ("daniel.gulyas@forras.example", "PEN-60", "SZO"),
    ("boglarka.kiss@forras.example", "KAP-60", "DEB"),
    ("maria.petrova@forras.example", "RAZ-SEM-24", "RAZ"),
    ("ivan.georgiev@forras.example", "RAZ-SEM-24", "RAZ"),
    ("desislava.koleva@forras.example", "RAZ-SEM-24", "RAZ"),
    ("stefan.mitev@forras.example", "RAZ-EKP-60", "RAZ"),
)

# Trainees of the run that took place eight weeks ago (enrolled before it began).
PAST_ENROLMENTS: tuple[str, ...] = (
    "gyongyver.torok@forras.example",
    "erzsebet.szucs@forras.example",
    "peter.biro@forras.example",
    "aniko.fuzi@forras.example",
    "boglarka.kiss@forras.example",
    "daniel.gulyas@forras.example",
)

# What the Hungarian trainees answered to the ESF+ questions of their programme's runs
# (gender, year of birth, labour-market status, education; consent and one sensitive
# answer for some), so the indicator report has something to show.
PARTICIPANT_ANSWERS: dict[str, dict[str, object]] = {
    "gyongyver.torok@forras.example": {"gender": "female", "birth_year": 1978,
                                       "labour_status": "employed", "education": "isced_5_8",
                                       "sensitive_consent": True, "rural": "yes"},
    "erzsebet.szucs@forras.example": {"gender": "female", "birth_year": 1969,
                                      "labour_status": "employed", "education": "isced_5_8"},
    "peter.biro@forras.example": {"gender": "male", "birth_year": 1991,
                                  "labour_status": "employed", "education": "isced_3_4",
                                  "sensitive_consent": True, "minority": "yes"},
    "aniko.fuzi@forras.example": {"gender": "female", "birth_year": 1996,
                                  "labour_status": "unemployed", "education": "isced_5_8"},
    "boglarka.kiss@forras.example": {"gender": "female", "birth_year": 1985,
                                     "labour_status": "employed", "education": "isced_5_8",
                                     "sensitive_consent": True, "disability": "undisclosed"},
    "daniel.gulyas@forras.example": {"gender": "male", "birth_year": 1962,
                                     "labour_status": "long_term_unemployed",
                                     "education": "isced_0_2"},
    "odon.lorincz@forras.example": {"gender": "male", "birth_year": 1958,
                                    "labour_status": "employed", "education": "isced_5_8"},
    "tunde.szoke@forras.example": {"gender": "female", "birth_year": 1983,
                                   "labour_status": "inactive", "education": "isced_3_4"},
}

# Hungarian trainees' numbers in the operational register of social professionals and
# the first (and, where it is not four years less a day later, last) day of their
# current training period; the others have recorded none.
TRAINING_RECORDS: dict[str, tuple[str, date, date | None]] = {
    "gyongyver.torok@forras.example": ("B-045812", date(2023, 9, 1), None),
    "erzsebet.szucs@forras.example": ("B-017340", date(2021, 1, 15), None),
    "odon.lorincz@forras.example": ("V-032291", date(2024, 3, 1), None),
    # a period extended by a year of parental leave
    "tunde.szoke@forras.example": ("H-028876", date(2022, 6, 1), date(2027, 5, 31)),
    "aniko.fuzi@forras.example": ("Z-051107", date(2025, 2, 1), None),
}

# The closed run, its trainees, and the one who missed a day (so did not complete).
CLOSED_RUN: tuple[str, str] = ("RAZ-SUP-24", "RAZ")
CLOSED_RUN_ENROLMENTS: tuple[str, ...] = (
    "maria.petrova@forras.example",
    "ivan.georgiev@forras.example",
    "desislava.koleva@forras.example",
    "stefan.mitev@forras.example",
)
CLOSED_RUN_ABSENT = "stefan.mitev@forras.example"

# ---------------------------------------------------------------- trainers

# (trainer e-mail, course code, centre prefix, lead?)
ASSIGNMENTS: tuple[tuple[str, str, str, bool], ...] = (
    ("eszter.nagy@forras.example", "KAP-60", "BUD", True),
    ("eszter.nagy@forras.example", "KF-24-1", "DEB", True),
    ("gabor.horvath@forras.example", "PEN-60", "SZO", True),
    ("gabor.horvath@forras.example", "KF-24-1", "DEB", False),
    ("katalin.szabo@forras.example", "KF-24-1", "BCS", True),
    ("laszlo.fekete@forras.example", "KAP-60", "DEB", True),
    ("elena.dimitrova@forras.example", "RAZ-SEM-24", "RAZ", True),
    ("georgi.stoyanov@forras.example", "RAZ-SEM-24", "RAZ", False),
    ("georgi.stoyanov@forras.example", "RAZ-PRE-24", "RAZ", True),
    ("elena.dimitrova@forras.example", "RAZ-SUP-24", "RAZ", True),
)
