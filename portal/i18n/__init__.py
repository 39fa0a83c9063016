"""Languages: the one list of UI catalogs, locale choice for each request, URL prefixes."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Flask, abort, current_app, g, request

from ..extensions import babel

# The UI languages with a complete catalog in translations/. Content locales come from
# site.yml; a content locale without a catalog is served with English UI strings.
LOCALES = ("en", "sv", "da", "pl")
LOCALE_COOKIE = "locale"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600


def init_app(app: Flask):
    babel.init_app(app, locale_selector=current_locale)
    app.jinja_env.globals.update(locale_name=locale_name, language_name=language_name,
                                 text_direction=text_direction)


def site_locales():
    return current_app.extensions["content"].locales


def current_locale():
    return getattr(g, "locale", None) or site_default_locale()


def site_default_locale():
    return current_app.extensions["content"].default_locale


def locale_name(tag: str) -> str:
    """The language's own name for itself: 'Svenska', 'Dansk', 'Polski'."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    name = locale.get_display_name(locale) or tag
    return name[:1].upper() + name[1:]


def language_name(language: str, in_locale: str) -> str:
    """`language` named in `in_locale`: ('sv', 'en') -> 'Swedish', ('sv', 'sv') -> 'svenska'."""
    try:
        names = Locale.parse(in_locale.replace("-", "_")).languages
    except (ValueError, UnknownLocaleError):
        return language
    tag = language.replace("-", "_")
    return names.get(tag) or names.get(tag.split("_")[0]) or language


def text_direction(tag: str) -> str:
    try:
        return Locale.parse(tag.replace("-", "_")).text_direction
    except (ValueError, UnknownLocaleError):
        return "ltr"


# Browsers send 'no' or 'nb'/'nn' for Norwegian; a site may use any of them.
_EQUIVALENT = {"no": ("nb", "nn"), "nb": ("no", "nn"), "nn": ("nb", "no")}


def negotiate_locale(locales, default) -> str:
    """The visitor's remembered choice, else the best Accept-Language match, else the default."""
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen is not None and chosen in locales:
        return chosen
    for tag, _quality in request.accept_languages:
        tag = tag.lower()
        primary = tag.split("-")[0]
        for candidate in (tag, primary, *_EQUIVALENT.get(primary, ())):
            for locale in locales:
                if locale.lower() == candidate:
                    return locale
    return default


def localized_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /<locale>: the prefix is checked and filled in once, here."""
    blueprint = Blueprint(name, import_name, url_prefix="/<locale>")

    @blueprint.url_value_preprocessor
    def pull_locale(endpoint, values):
        g.locale = values.pop("locale", None)
        if g.locale not in site_locales():
            abort(404)

    @blueprint.url_defaults
    def add_locale(endpoint, values):
        values.setdefault("locale", g.get("locale"))

    return blueprint
