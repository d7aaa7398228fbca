"""The counties a needs survey's respondents choose from: a fixed list, so the results
can be filtered by county without spelling variants. Hungary's 19 counties and the
capital; Bulgaria's 28 provinces (oblasti). Proper names, in their own language."""

HU_COUNTIES = (
    "Budapest", "Bács-Kiskun", "Baranya", "Békés", "Borsod-Abaúj-Zemplén", "Csongrád-Csanád",
    "Fejér", "Győr-Moson-Sopron", "Hajdú-Bihar", "Heves", "Jász-Nagykun-Szolnok",
    "Komárom-Esztergom", "Nógrád", "Pest", "Somogy", "Szabolcs-Szatmár-Bereg", "Tolna",
    "Vas", "Veszprém", "Zala",
)
BG_PROVINCES = (
    "Благоевград", "Бургас", "Варна", "Велико Търново", "Видин", "Враца", "Габрово",
    "Добрич", "Кърджали", "Кюстендил", "Ловеч", "Монтана", "Пазарджик", "Перник", "Плевен",
    "Пловдив", "Разград", "Русе", "Силистра", "Сливен", "Смолян", "София (столица)",
    "София (област)", "Стара Загора", "Търговище", "Хасково", "Шумен", "Ямбол",
)
BY_COUNTRY = {"HU": HU_COUNTIES, "BG": BG_PROVINCES}


def counties_of(country: str | None) -> tuple[str, ...]:
    """The counties of a centre's country; of both countries for a network survey."""
    if country in BY_COUNTRY:
        return BY_COUNTRY[country]
    return HU_COUNTIES + BG_PROVINCES
