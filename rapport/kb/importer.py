"""Importing a help centre from a folder of Markdown files with YAML front matter.

The folder has one sub-folder per language (``de/``, ``en/``); each ``*.md`` file starts with

    ---
    slug: refund-timing
    title: "Wann bekomme ich mein Geld zurück?"
    category: returns-refunds
    language: de
    keywords: [Erstattung, Rückerstattung]
    ---

followed by the Markdown text. Every file is written through ``actions.save_translation``,
so a re-import updates the language version of the same slug (an unchanged file saves no
new version) and never duplicates. A file that cannot be read is reported with its reason
and the rest are imported.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rapport.kb import actions
from rapport.kb.models import Article, ArticleTranslation, Category

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
ERROR = "error"

REQUIRED_FIELDS = ("slug", "title", "category", "language")
MAX_FILE_BYTES = 1_000_000
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)(.*)\Z", re.DOTALL)

# The ten categories of a shop's help centre, with readable names (others: from the slug).
KNOWN_CATEGORIES: dict[str, dict[str, str]] = {
    "orders": {"de": "Bestellungen", "en": "Orders"},
    "shipping": {"de": "Versand und Lieferung", "en": "Shipping and delivery"},
    "returns-refunds": {"de": "Rückgabe und Erstattung", "en": "Returns and refunds"},
    "payment": {"de": "Zahlung", "en": "Payment"},
    "account": {"de": "Kundenkonto", "en": "Your account"},
    "loyalty": {"de": "Treueprogramm", "en": "Loyalty programme"},
    "warranty-repairs": {"de": "Garantie und Reparatur", "en": "Warranty and repairs"},
    "products-setup": {"de": "Produkte und Einrichtung", "en": "Products and setup"},
    "privacy-data": {"de": "Datenschutz", "en": "Privacy and data"},
    "contact-support": {"de": "Kontakt und Hilfe", "en": "Contact and support"},
}


@dataclass
class FileResult:
    path: str  # relative to the imported folder, e.g. "de/refund-timing.md"
    status: str  # created, updated, unchanged or error
    slug: str = ""
    language: str = ""
    reason: str = ""


@dataclass
class MissingTranslation:
    slug: str
    present: list[str]
    missing: list[str]


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    missing_translations: list[MissingTranslation] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == ERROR]

    @property
    def read_any(self) -> bool:
        """Whether at least one file could be read (the command fails only when none could)."""
        return any(f.status != ERROR for f in self.files)


class ImportFolderError(Exception):
    """The folder itself cannot be imported (missing, not a folder)."""


@dataclass
class _Parsed:
    path: Path
    relative: str
    slug: str
    language: str
    title: str
    category: str
    keywords: list[str]
    body: str
    visibility: str | None


class _FileError(Exception):
    def __init__(self, reason: str, *, slug: str = "", language: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.slug = slug
        self.language = language


def category_name_from_slug(slug: str) -> str:
    """Return a readable name for an unknown category slug: "gift-wrapping" → "Gift wrapping"."""
    words = slug.replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def read_article_file(path: Path, relative: str, folder_language: str) -> _Parsed:
    """Parse one Markdown file with front matter; raise ``_FileError`` with a reason."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _FileError(_("The file cannot be read (%(error)s).") % {"error": exc}) from None
    if size > MAX_FILE_BYTES:
        raise _FileError(_("The file is too large (at most %(n)d bytes).") % {"n": MAX_FILE_BYTES})
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise _FileError(_("The file is binary, not UTF-8 text."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _FileError(_("The file is not UTF-8 text.")) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    match = FRONT_MATTER.match(text)
    if not match:
        raise _FileError(
            _(
                "Broken front matter: the file must start with a line '---', the fields, "
                "and another line '---'."
            )
        )
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 0
        raise _FileError(
            _("Broken front matter: not valid YAML (line %(line)d).") % {"line": line}
        ) from None
    if not isinstance(meta, dict):
        raise _FileError(_("Broken front matter: expected fields such as 'slug: ...'."))
    slug = str(meta.get("slug") or "").strip()
    missing = [
        name
        for name in REQUIRED_FIELDS
        if meta.get(name) is None or not str(meta.get(name)).strip()
    ]
    if missing:
        raise _FileError(
            _("Missing field in the front matter: %(fields)s.") % {"fields": ", ".join(missing)},
            slug=slug,
        )
    raw_language = str(meta["language"]).strip()
    try:
        language = actions.clean_language(raw_language)
    except ValidationError:
        raise _FileError(
            _("Unknown language code: %(code)s.") % {"code": raw_language}, slug=slug
        ) from None
    if language != folder_language:
        raise _FileError(
            _("The file's language (%(language)s) does not match its folder (%(folder)s).")
            % {"language": language, "folder": folder_language},
            slug=slug,
            language=language,
        )
    try:
        slug = actions.clean_slug(slug)
        category = actions.clean_slug(str(meta["category"]))
        keywords = actions.clean_keywords(meta.get("keywords"))
    except ValidationError as exc:
        raise _FileError(" ".join(exc.messages), slug=slug, language=language) from None
    visibility = meta.get("visibility")
    if visibility is not None:
        visibility = str(visibility).strip().lower()
    return _Parsed(
        path=path,
        relative=relative,
        slug=slug,
        language=language,
        title=str(meta["title"]),
        category=category,
        keywords=keywords,
        body=match.group(2).strip("\n") + "\n",
        visibility=visibility,
    )


def _language_folders(root: Path) -> list[tuple[Path, str | None]]:
    folders = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            folders.append((folder, actions.clean_language(folder.name)))
        except ValidationError:
            folders.append((folder, None))
    return folders


def _category(slug: str, cache: dict[str, Category]) -> Category:
    if slug not in cache:
        existing = Category.objects.filter(slug=slug).first()
        if existing is None:
            known = list(KNOWN_CATEGORIES)
            names = KNOWN_CATEGORIES.get(slug) or {
                "de": category_name_from_slug(slug),
                "en": category_name_from_slug(slug),
            }
            position = known.index(slug) + 1 if slug in known else len(known) + 1
            existing = actions.ensure_category(slug=slug, names=names, position=position)
        cache[slug] = existing
    return cache[slug]


def _save(parsed: _Parsed, *, publish: bool | None, actor, categories) -> FileResult:
    before = (
        Article.objects.filter(slug=parsed.slug).values_list("category__slug", "visibility").first()
    )
    try:
        category = _category(parsed.category, categories)
        saved = actions.save_translation(
            actor=actor,
            slug=parsed.slug,
            language=parsed.language,
            title=parsed.title,
            body=parsed.body,
            keywords=parsed.keywords,
            category=category,
            visibility=parsed.visibility,
            publish=publish,
            note=_("Imported from %(path)s") % {"path": parsed.relative},
        )
    except ValidationError as exc:
        return FileResult(
            parsed.relative, ERROR, parsed.slug, parsed.language, " ".join(exc.messages)
        )
    if saved.created:
        status = CREATED
    else:
        article_changed = before is not None and (
            before[0] != parsed.category
            or (parsed.visibility is not None and before[1] != parsed.visibility)
        )
        status = UPDATED if saved.changed or article_changed else UNCHANGED
    return FileResult(parsed.relative, status, parsed.slug, parsed.language)


def import_folder(
    path: str | Path, *, publish: bool = True, dry_run: bool = False, actor=None
) -> ImportReport:
    """Import every ``<language>/*.md`` file under ``path`` and report each file's outcome.

    ``publish=True`` publishes every imported version; ``False`` imports new versions as
    drafts and leaves the state of existing ones as it is. ``dry_run`` reports what an
    import would do and changes nothing.
    """
    root = Path(path)
    if not root.exists():
        raise ImportFolderError(_("%(path)s does not exist.") % {"path": path})
    if not root.is_dir():
        raise ImportFolderError(_("%(path)s is not a folder.") % {"path": path})
    report = ImportReport(dry_run=dry_run)
    parsed_files: list[_Parsed] = []
    languages: set[str] = set()
    for folder, folder_language in _language_folders(root):
        files = sorted(folder.glob("*.md"))
        if folder_language is None:
            for file in files:
                report.files.append(
                    FileResult(
                        file.relative_to(root).as_posix(),
                        ERROR,
                        reason=_("The folder %(folder)s is not a known language code.")
                        % {"folder": folder.name},
                    )
                )
            continue
        languages.add(folder_language)
        seen: dict[str, str] = {}
        # A file named after its slug wins over another file claiming the same slug.
        readable = []
        for file in files:
            relative = file.relative_to(root).as_posix()
            try:
                readable.append(read_article_file(file, relative, folder_language))
            except _FileError as exc:
                report.files.append(FileResult(relative, ERROR, exc.slug, exc.language, exc.reason))
        readable.sort(key=lambda p: (p.path.stem != p.slug, p.path.name))
        for parsed in readable:
            if parsed.slug in seen:
                report.files.append(
                    FileResult(
                        parsed.relative,
                        ERROR,
                        parsed.slug,
                        parsed.language,
                        _("Duplicate slug %(slug)s in %(language)s: already in %(other)s.")
                        % {
                            "slug": parsed.slug,
                            "language": parsed.language,
                            "other": seen[parsed.slug],
                        },
                    )
                )
                continue
            seen[parsed.slug] = parsed.relative
            parsed_files.append(parsed)

    with transaction.atomic():
        categories: dict[str, Category] = {}
        for parsed in parsed_files:
            report.files.append(
                _save(parsed, publish=True if publish else None, actor=actor, categories=categories)
            )
        report.missing_translations = _missing_translations(
            {f.slug for f in report.files if f.status != ERROR}, languages
        )
        if dry_run:
            transaction.set_rollback(True)
    report.files.sort(key=lambda f: f.path)
    return report


def _missing_translations(slugs: set[str], languages: set[str]) -> list[MissingTranslation]:
    """Return the imported articles that lack a version in one of the imported languages."""
    present: dict[str, set[str]] = defaultdict(set)
    rows = ArticleTranslation.objects.filter(article__slug__in=slugs).values_list(
        "article__slug", "language"
    )
    for slug, language in rows:
        present[slug].add(language)
    result = []
    for slug in sorted(present):
        missing = sorted(languages - present[slug])
        if missing:
            result.append(MissingTranslation(slug, sorted(present[slug]), missing))
    return result
