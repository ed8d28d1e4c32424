"""Property tests of every form's validation: any input gives a bool and readable errors, never an exception."""

from __future__ import annotations

import inspect
import io
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel.speaklater import LazyString
from flask_wtf.file import FileField, MultipleFileField
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import Field, FieldList, FormField
from wtforms.fields import SelectFieldBase, SelectMultipleField

from portal.forms import aid as aid_forms
from portal.forms import bounties as bounty_forms
from portal.forms import cases as case_forms
from portal.forms import common as forms
from portal.forms import grid as grid_forms
from portal.forms import lists as list_forms
from portal.forms import oversight as oversight_forms
from portal.forms import restrictions as restriction_forms
from portal.forms.common import PortalForm
from portal.models import Role
from tests.factories import login, make_app

MODULES = (forms, case_forms, list_forms, bounty_forms, aid_forms, grid_forms, oversight_forms, restriction_forms)
FORM_CLASSES = sorted(
    {
        cls
        for module in MODULES
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, PortalForm) and cls is not PortalForm
    },
    key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
)
# The choices a view would give a field it fills at request time (courts, judges, grids, respondents...).
VIEW_CHOICES = [("1", "夏津县人民法院"), ("2", "德州市中级人民法院")]
SCRIPT = "<script>alert(1)</script>"

# --- Values ---------------------------------------------------------------------------------------------------------

control = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), min_size=1, max_size=20)
odd_unicode = st.sampled_from(
    [
        "\u202e3714271982\u202c",
        "e\u0301" * 40,
        "🧧👨‍👩‍👧" * 5,
        "\ufeff",
        "ｚｈａｎｇ ＠ ｅｘａｍｐｌｅ．ｃｏｍ",
        "٣٧١٤٢٧١٩٨٢٠٣١٥١٢٣٢",
        "１３８００００００００",
        "13٨00000000",
        "\u3000\u3000",
        "\U0010ffff",
        "𠮷野家",
        "Ⅻ",
        "①②③",
        "İ",
        "ß" * 17,
        "ﬃ",
        "\u0000\u0001\u001f\u007f",
        SCRIPT,
        "' OR 1=1 --",
        "%s%(x)s{0}",
    ]
)
long_text = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "长", "😀", " ", "\n"]), st.integers(100, 12_000))
plausible = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    # From 0001-01-02 on: the first hours of year 1 are test_times_at_the_start_of_year_one_... below (a bug).
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 31, 23, 59)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M").rjust(16, "0")
    ),
    st.sampled_from(
        [
            "1e999999999",
            "-1e-999999999",
            "NaN",
            "sNaN",
            "Infinity",
            "-0",
            "0.001",
            "1,000.00",
            "１２３.４５",
            "1_000",
            "99999999999999999",
            "9" * 5000,
            "-1",
            "0",
            "12.5%",
            "100",
            "100.01",
            "（2026）鲁1427执5号",
            "(2026)鲁1427执0号",
            "371427198203151232",
            "37142719820315123x",
            "91371427MA3C123459",
            "13800000000",
            "0534-1234567",
            "a@b.cn",
            "a@@b",
            "@",
            "y",
            "on",
            "false",
            "",
            " ",
            "2026-02-30",
            "2026-13-01",
            "2026-01-01T24:00",
        ]
    ),
    st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
    st.emails(),
    st.integers(-(2**70), 2**70).map(str),
)
texts = st.one_of(st.text(max_size=60), control, odd_unicode, long_text, plausible)


def leaves(fields: object) -> Iterator[Field]:
    """Every input field of a form, through sub-forms and field lists."""
    for field in fields:  # type: ignore[attr-defined]
        if isinstance(field, FormField):
            yield from leaves(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from leaves([entry])
        else:
            yield field


def choice_values(field: Field) -> list[str]:
    choices = getattr(field, "choices", None) or []
    if isinstance(choices, dict):
        choices = [c for group in choices.values() for c in group]
    return [str(c[0] if isinstance(c, tuple) else c) for c in choices]


# Magic numbers of the accepted types, an executable, nothing, and a PDF one byte over the 5 MB limit.
SAMPLE_FILES = [
    b"%PDF-1.4\n%%EOF\n",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"MZ\x90\x00",
    b"",
    b"%PDF-" + b"0" * (5 * 2**20 + 1),
]


def uploads() -> st.SearchStrategy[FileStorage]:
    contents = st.one_of(
        st.binary(max_size=64), st.sampled_from(SAMPLE_FILES), st.binary(max_size=16).map(lambda b: b"%PDF-" + b)
    )
    filenames = st.one_of(st.text(max_size=30), st.sampled_from(["证明.pdf", "photo.jpg", "a.exe", "", "../../x.pdf"]))
    return st.builds(
        lambda c, n, t: FileStorage(io.BytesIO(c), filename=n, content_type=t),
        contents,
        filenames,
        st.sampled_from(["application/pdf", "image/jpeg", "application/octet-stream", ""]),
    )


@st.composite
def form_input(draw: st.DrawFn, fields: list[Field]) -> MultiDict:
    """Values for some of the fields: garbage, plausible values, valid choices, files, repeated keys."""
    data: MultiDict = MultiDict()
    for field in fields:
        if isinstance(field, (FileField, MultipleFileField)):
            for upload in draw(
                st.lists(st.one_of(uploads(), texts), max_size=7 if isinstance(field, MultipleFileField) else 1)
            ):
                data.add(field.name, upload)
            continue
        options = choice_values(field)
        value = texts if not options else st.one_of(st.sampled_from(options), texts)
        for item in draw(st.lists(value, max_size=3 if isinstance(field, SelectMultipleField) else 2)):
            data.add(field.name, item)
    return data


def messages(errors: object) -> Iterator[object]:
    """Every error message, however deeply sub-forms and field lists nest them."""
    if isinstance(errors, dict):
        for value in errors.values():
            yield from messages(value)
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            yield from messages(value)
    else:
        yield errors


def build(cls: type[PortalForm], formdata: MultiDict | None) -> PortalForm:
    """The form as its view builds it: constructor arguments, and choices the view fills in."""
    kwargs = {
        name: list(VIEW_CHOICES)
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    }
    form = cls(formdata=formdata, **kwargs) if formdata is not None else cls(**kwargs)
    for field in leaves(form):
        if isinstance(field, SelectFieldBase) and field.choices is None:
            field.choices = [(int(v) if field.coerce is int else v, label) for v, label in VIEW_CHOICES]
    return form


@pytest.fixture(scope="module")
def form_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    # Forms touch no database; one app serves every example (CSRF off, as in tests/conftest.make_app).
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('forms')}/forms.sqlite3")
    assert app.config["WTF_CSRF_ENABLED"] is False
    yield app


def test_every_form_is_covered() -> None:
    # A new forms module must be added to MODULES, or its forms would silently go unchecked.
    import pathlib

    found = {p.stem for p in pathlib.Path(forms.__file__).parent.glob("*.py")} - {"__init__"}
    assert found == {m.__name__.split(".")[-1] for m in MODULES}
    assert len(FORM_CLASSES) >= 50


@pytest.mark.parametrize("cls", FORM_CLASSES, ids=lambda cls: f"{cls.__module__.split('.')[-1]}.{cls.__name__}")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_validation_answers_a_bool_and_readable_errors(
    form_app: Flask, cls: type[PortalForm], data: st.DataObject
) -> None:
    with form_app.test_request_context("/", method="POST"):
        fields = list(leaves(build(cls, MultiDict())))
        formdata = data.draw(form_input(fields), label="formdata")
        form = build(cls, formdata)
        if isinstance(form, aid_forms.AidPaymentForm):
            form.decided_on = data.draw(st.none() | st.dates(), label="decided_on")
        valid = form.validate()
        assert type(valid) is bool
        event("valid" if valid else "invalid")
        found = list(messages(form.errors))
        if valid:
            assert found == []
        else:
            assert found, "an invalid form must say why"
            for message in found:
                assert isinstance(message, (str, LazyString)), repr(message)
                assert str(message).strip(), "an empty error message"
        # The view re-renders the form with what was typed (422): that must work and escape it.
        for field in leaves(form):
            html = field()
            assert isinstance(html, Markup)
            assert SCRIPT not in html


def test_the_generated_input_reaches_the_fields(form_app: Flask) -> None:
    # A guard on the harness itself: the field names the strategies fill are the names the form reads.
    with form_app.test_request_context("/", method="POST"):
        form = build(case_forms.NewCaseForm, MultiDict({"respondent-name": "张三", "number": "(2026)鲁1427执5号"}))
        assert form.respondent.form.name.data == "张三"
        form.validate()
        assert form.number.data == "（2026）鲁1427执5号"
        # The harness can produce valid forms too (the property's "valid" branch is reachable).
        assert (
            build(
                case_forms.CaseLookupForm, MultiDict({"case_number": "(2026)鲁1427执5号", "query_code": "ABCDEFGH"})
            ).validate()
            is True
        )
        assert build(bounty_forms.ClueForm, MultiDict({"text": "常在东关市场"})).validate() is True
        issue = build(restriction_forms.IssueRestrictionForm, MultiDict({"bound-2-name": "李四"}))
        assert issue.bound.entries[2].form.name.data == "李四"
        assert "bound-2-name" in {f.name for f in leaves(issue)}


# Found by these properties (fixed): portal.forms.cases.local_to_utc attaches Asia/Shanghai to a typed wall-clock
# time and converts it to UTC; for a time in the first eight hours of 0001-01-01 (Shanghai's LMT is +08:05:43)
# that is before datetime.min and raises OverflowError. grid_forms.ReportForm.validate_done_at calls it inside
# validate(), so a liaison's report with "0001-01-01T00:00" raises instead of answering 422; the views calling
# local_to_utc after validation (casework new case / node / funds / resume, oversight actions and talks,
# grid task due dates) answer 500 the same way. Now: validate() returns False with a message.
def test_times_at_the_start_of_year_one_are_refused_not_raised(form_app: Flask) -> None:
    with form_app.test_request_context("/", method="POST"):
        form = grid_forms.ReportForm(
            formdata=MultiDict(
                {"outcome": "done", "report": "已送达", "place": "夏津县", "done_at": "0001-01-01T00:00"}
            )
        )
        assert form.validate() is False
        assert form.done_at.errors


# Found by these properties (fixed): the same unbounded date-times through a view. The new-case form accepts any
# year 1-9999; POST /staff/cases/new with filed_at "0001-01-01T00:00" fails in local_to_utc, and with
# "9999-12-31T23:59" in publicity.record.deadlines.case_deadlines (the 6-month closure deadline is past year 9999):
# OverflowError, a 500 page. Now: the form refuses an implausible date (422).
@pytest.mark.parametrize("filed_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_new_case_with_an_extreme_filing_time_is_refused(
    app: Flask, accounts_by_role: dict[Role, int], filed_at: str
) -> None:
    client = app.test_client()
    assert login(client, "clerk").status_code == 303
    response = client.post(
        "/staff/cases/new",
        data={
            "number": "（2026）鲁1427执77号",
            "basis_issuer": "夏津县人民法院",
            "basis_number": "（2025）鲁1427民初1号",
            "amount": "100",
            "filed_at": filed_at,
            "applicant-kind": "person",
            "applicant-name": "甲",
            "applicant-id_number": "371427198203151232",
            "respondent-kind": "person",
            "respondent-name": "乙",
            "respondent-id_number": "371427197001011237",
        },
    )
    assert response.status_code == 422, response.status_code
