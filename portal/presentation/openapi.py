"""The OpenAPI 3.1 document of the /api/v1 endpoints (kept beside the code it describes).

Why it is long: it is the document itself, as data: every path, parameter and schema of /api/v1.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "integer"},
                "reason": {"type": "string"},
                "message": {"type": "string"},
                "until": {"type": "string", "format": "date-time"},
                "title": {"type": "string"},
            },
        }
    },
}

NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}

CASE_VIEW = {
    "type": "object",
    "required": ["case", "nodes", "deadlines", "funds", "balance_fen"],
    "properties": {
        "case": {
            "type": "object",
            "required": ["number", "court", "stage", "filed_at", "amount_applied_fen", "your_side", "parties"],
            "properties": {
                "number": {"type": "string", "examples": ["（2020）鲁1427执123号"]},
                "court": {"type": "string"},
                "court_contact": {"type": "string"},
                "stage": {
                    "type": "string",
                    "enum": ["filed", "search", "implementation", "disposal", "ruling", "terminated", "closed"],
                },
                "stage_label": {"type": "string"},
                "filed_at": {"type": "string", "format": "date-time"},
                "amount_applied_fen": {"type": "integer", "description": "Amount applied for, in fen (1/100 yuan)."},
                "judge": {"type": ["string", "null"]},
                "closure_mode": {"type": ["string", "null"]},
                "closed_at": NULLABLE_TIME,
                "your_side": {"type": "string", "enum": ["applicant", "respondent"]},
                "parties": {
                    "type": "array",
                    "description": "Names only: no party's ID number, phone or address is ever returned.",
                    "items": {
                        "type": "object",
                        "required": ["side", "name"],
                        "properties": {"side": {"type": "string"}, "name": {"type": "string"}},
                    },
                },
                "resumed_as": {"type": ["string", "null"]},
            },
        },
        "nodes": {
            "type": "array",
            "description": (
                "Public case nodes, newest first by when they happened; corrections and voided nodes included. "
                "Internal notes are never included."
            ),
            "items": {
                "type": "object",
                "required": ["id", "type", "label", "occurred_at", "public_text"],
                "properties": {
                    "id": {"type": "integer"},
                    "type": {"type": "string"},
                    "label": {"type": "string"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "public_text": {"type": "string"},
                    "amount_fen": {"type": ["integer", "null"]},
                    "search_target": {"type": ["string", "null"]},
                    "corrects": {"type": ["integer", "null"], "description": "Id of the node this one corrects."},
                    "correction_kind": {
                        "type": ["string", "null"],
                        "enum": ["wording", "redate", "void", None],
                        "description": "On a correction: new wording, a new time (the node moved), or void.",
                    },
                    "reason": {"type": ["string", "null"], "description": "On a correction: why (public)."},
                    "previous_occurred_at": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "On a re-dating correction: the time it replaced.",
                    },
                    "voided_by": {
                        "type": ["integer", "null"],
                        "description": "Id of the correction that voided this node: it no longer counts.",
                    },
                },
            },
        },
        "deadlines": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "label", "due_at", "status"],
                "properties": {
                    "kind": {"type": "string"},
                    "label": {"type": "string"},
                    "due_at": {"type": "string", "format": "date-time"},
                    "met_at": NULLABLE_TIME,
                    "status": {"type": "string", "enum": ["pending", "overdue", "met", "met_late"]},
                },
            },
        },
        "funds": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["direction", "source", "counterparty", "amount_fen", "occurred_at"],
                "properties": {
                    "direction": {"type": "string", "enum": ["in", "out"]},
                    "source": {
                        "type": "string",
                        "enum": ["enforcement", "judicial_aid"],
                        "description": "judicial_aid: 司法救助 paid to the applicant, not money recovered.",
                    },
                    "counterparty": {"type": "string"},
                    "amount_fen": {"type": "integer"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                },
            },
        },
        "balance_fen": {"type": "integer"},
    },
}


DEFAULTER = {
    "type": "object",
    "required": [
        "id",
        "url",
        "name",
        "kind",
        "id_number_masked",
        "court",
        "province",
        "case_number",
        "filed_on",
        "basis_number",
        "basis_issuer",
        "obligation",
        "performance",
        "performed_fen",
        "unperformed_fen",
        "ground",
        "circumstance",
        "published_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "name": {"type": "string", "description": "Person's or organisation's name."},
        "kind": {"type": "string", "enum": ["person", "entity"]},
        "sex": {"type": ["string", "null"], "enum": ["male", "female", None]},
        "age": {"type": ["integer", "null"]},
        "id_number_masked": {
            "type": "string",
            "description": "Characters 11-14 replaced by ****.",
            "examples": ["3714271982****1234"],
        },
        "legal_representative": {"type": ["string", "null"]},
        "court": {"type": "string"},
        "province": {"type": "string"},
        "case_number": {"type": "string"},
        "filed_on": {"type": "string", "format": "date"},
        "basis_number": {"type": "string"},
        "basis_issuer": {"type": "string"},
        "obligation": {"type": "string"},
        "performance": {"type": "string", "enum": ["none", "partial"]},
        "performed_fen": {"type": "integer"},
        "unperformed_fen": {"type": "integer"},
        "ground": {
            "type": "string",
            "enum": ["1", "2", "3", "4", "5", "6"],
            "description": "Art. 1 ground of the SPC provisions on the defaulter list.",
        },
        "circumstance": {"type": "string"},
        "published_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

DEFAULTER_PAGE = {
    "type": "object",
    "required": ["items", "next"],
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/DefaulterEntry"}},
        "next": {"type": ["string", "null"], "description": "URL of the next page, or null on the last page."},
        "mode": {
            "type": "string",
            "enum": ["browse", "name", "pinyin", "id", "id_without_name", "masked", "case"],
            "description": "id_without_name: a full number is only searched together with the name; "
            "no items are returned.",
        },
    },
}


TERMINATED_PAGE = {
    "type": "object",
    "required": ["items", "next"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "case_number",
                    "court",
                    "filed_on",
                    "amount_applied_fen",
                    "unperformed_fen",
                    "respondents",
                ],
                "properties": {
                    "name": {"type": "string", "description": "The respondents' names (、-separated when several)."},
                    "case_number": {"type": "string"},
                    "court": {"type": "string"},
                    "filed_on": {"type": "string", "format": "date-time"},
                    "terminated_at": {"type": ["string", "null"], "format": "date-time"},
                    "amount_applied_fen": {"type": "integer"},
                    "unperformed_fen": {"type": "integer", "description": "Applied for minus received, in fen."},
                    "respondents": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "kind", "id_number_masked"],
                            "properties": {
                                "name": {"type": "string"},
                                "kind": {"type": "string", "enum": ["person", "entity"]},
                                "sex": {"type": ["string", "null"]},
                                "id_number_masked": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
        "next": {"type": ["string", "null"]},
    },
}


RESTRICTION_ITEMS = [
    "flights",
    "luxury_venues",
    "real_estate",
    "offices",
    "vehicles",
    "travel",
    "private_schools",
    "insurance",
    "high_speed_rail",
]

RESTRICTION = {
    "type": "object",
    "required": [
        "id",
        "url",
        "name",
        "kind",
        "id_number_masked",
        "bound_persons",
        "items",
        "case_number",
        "court",
        "issued_on",
        "published_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "name": {"type": "string", "description": "The respondent's name (a person or an organisation)."},
        "kind": {"type": "string", "enum": ["person", "entity"]},
        "id_number_masked": {
            "type": "string",
            "description": "Characters 11-14 replaced by ****.",
            "examples": ["3714271982****1234"],
        },
        "bound_persons": {
            "type": "array",
            "description": "For an organisation: the persons the order also binds and who are still restricted "
            "(a released former legal representative is left out).",
            "items": {
                "type": "object",
                "required": ["role", "role_label", "name", "id_number_masked"],
                "properties": {
                    "role": {
                        "type": "string",
                        "enum": [
                            "legal_representative",
                            "main_responsible",
                            "directly_responsible",
                            "actual_controller",
                        ],
                    },
                    "role_label": {"type": "string"},
                    "name": {"type": "string"},
                    "id_number_masked": {"type": ["string", "null"]},
                },
            },
        },
        "items": {
            "type": "array",
            "description": "The restricted consumption items (SPC provisions on restricting high consumption, art. 3).",
            "items": {
                "type": "object",
                "required": ["code", "label"],
                "properties": {"code": {"type": "string", "enum": RESTRICTION_ITEMS}, "label": {"type": "string"}},
            },
        },
        "case_number": {"type": "string"},
        "court": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"},
        "published_at": {"type": "string", "format": "date-time"},
    },
}

RESTRICTION_PAGE = {
    "type": "object",
    "required": ["items", "next"],
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/RestrictionOrder"}},
        "next": {"type": ["string", "null"], "description": "URL of the next page, or null on the last page."},
        "mode": {"type": "string", "enum": ["browse", "name", "pinyin", "id", "id_without_name", "masked", "case"]},
    },
}


BOUNTY = {
    "type": "object",
    "required": [
        "id",
        "url",
        "clue_url",
        "name",
        "kind",
        "id_number_masked",
        "case_number",
        "court",
        "reward",
        "conditions",
        "published_at",
    ],
    "properties": {
        "id": {"type": "integer"},
        "url": {"type": "string"},
        "clue_url": {"type": "string", "description": "Where anyone may give a lead (a web form)."},
        "name": {"type": "string", "description": "The respondent sought (a person or an organisation)."},
        "kind": {"type": "string", "enum": ["person", "entity"]},
        "id_number_masked": {
            "type": "string",
            "description": "Characters 11-14 replaced by ****.",
            "examples": ["3714271982****1234"],
        },
        "case_number": {"type": "string"},
        "court": {"type": "string"},
        "reward": {
            "type": "object",
            "required": ["kind", "amount_fen", "basis_points", "cap_fen"],
            "properties": {
                "kind": {"type": "string", "enum": ["fixed", "percentage"]},
                "amount_fen": {"type": ["integer", "null"], "description": "A fixed reward, in fen."},
                "basis_points": {
                    "type": ["integer", "null"],
                    "description": "A share of the money recovered: 500 is 5 per cent.",
                },
                "cap_fen": {"type": ["integer", "null"], "description": "Ceiling of a share, in fen."},
            },
        },
        "conditions": {"type": "string"},
        "published_at": {"type": "string", "format": "date-time"},
    },
}

BOUNTY_PAGE = {
    "type": "object",
    "required": ["items", "next"],
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/BountyNotice"}},
        "next": {"type": ["string", "null"], "description": "URL of the next page, or null on the last page."},
        "mode": {"type": "string", "enum": ["browse", "name", "pinyin", "id", "id_without_name", "masked", "case"]},
    },
}


_COUNTS = {
    "type": "object",
    "required": ["first", "resumed", "preservation", "other", "all"],
    "properties": {k: {"type": "integer", "minimum": 0} for k in ("first", "resumed", "preservation", "other", "all")},
    "description": "By case type: first (执), resumed (执恢), preservation (执保), other, and all.",
}
_RATE = {"type": ["number", "null"], "description": "Per cent, two decimals; null when the denominator is zero."}
CASE_FIGURES: dict[str, Any] = {  # a JSON schema
    "type": "object",
    "required": [
        "received",
        "closed",
        "closure_modes",
        "actual_closures",
        "actual_closure_rate",
        "amount_applied_fen",
        "amount_recovered_fen",
        "amount_in_place_rate",
        "completion_rate",
        "termination_rate",
        "mean_days_to_close",
        "median_days_to_close",
        "closed_within_6_months_rate",
    ],
    "properties": {
        "received": _COUNTS,
        "closed": _COUNTS,
        "closure_modes": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "actual_closures": {"type": "integer", "minimum": 0},
        "actual_closure_rate": _RATE,
        "amount_in_place_rate": _RATE,
        "completion_rate": _RATE,
        "termination_rate": _RATE,
        "closed_within_6_months_rate": _RATE,
        "amount_applied_fen": {"type": "integer", "minimum": 0},
        "amount_recovered_fen": {"type": "integer", "minimum": 0},
        "mean_days_to_close": {"type": ["number", "null"]},
        "median_days_to_close": {"type": ["number", "null"]},
    },
}
STATS = {
    "type": "object",
    "required": ["court", "year", "total", "months", "measures", "overdue_now", "years", "computed_at", "oversight"],
    "properties": {
        "court": {
            "type": ["object", "null"],
            "required": ["code", "name"],
            "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            "description": "null: every court of the portal.",
        },
        "year": {"type": "integer"},
        "total": CASE_FIGURES,
        "months": {
            "type": "array",
            "minItems": 12,
            "maxItems": 12,
            "items": {
                **CASE_FIGURES,
                "required": [*CASE_FIGURES["required"], "month"],
                "properties": {**CASE_FIGURES["properties"], "month": {"type": "integer", "minimum": 1, "maximum": 12}},
            },
        },
        "measures": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "overdue_now": {"type": ["integer", "null"], "description": "Only for the current year."},
        "years": {
            "type": "array",
            "items": {
                **CASE_FIGURES,
                "required": [*CASE_FIGURES["required"], "year"],
                "properties": {**CASE_FIGURES["properties"], "year": {"type": "integer"}},
            },
        },
        "computed_at": {"type": "string", "format": "date-time"},
        "oversight": {
            "type": "object",
            "required": ["cases_supervised", "overseers_involved", "cards", "ratings"],
            "properties": {
                "cases_supervised": {"type": "integer"},
                "overseers_involved": {"type": "integer"},
                "cards": {"type": "integer"},
                "ratings": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """Build the document; the tests validate it and check responses against it."""
    error_response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mingjing enforcement transparency API",
            "version": "1",
            "description": "Public API of the Mingjing portal. Times are ISO 8601 in UTC; money is integer fen.",
        },
        "paths": {
            "/api/v1/cases/lookup": {
                "post": {
                    "operationId": "lookupCase",
                    "summary": "A party's view of their enforcement case, by case number and query code.",
                    "description": "Unknown case and wrong code answer identically (404). After 5 failures for "
                    "a case, or 20 from one address, within 15 minutes, lookups answer 429.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["case_number", "query_code"],
                                    "properties": {
                                        "case_number": {
                                            "type": "string",
                                            "description": "Either parenthesis style.",
                                            "examples": ["(2020)鲁1427执123号"],
                                        },
                                        "query_code": {"type": "string", "minLength": 1, "maxLength": 40},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The case as the party may see it.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseView"}}},
                        },
                        "400": {
                            "description": "A NUL byte in the query string, or a body nested more than 8 deep or "
                            "holding text that is not Unicode (a lone surrogate).",
                            **error_response,
                        },
                        "404": {"description": "No case matches this number and code.", **error_response},
                        "422": {"description": "The request body or case number is malformed.", **error_response},
                        "429": {"description": "Too many failed lookups; retry after `until`.", **error_response},
                    },
                }
            },
            "/api/v1/terminated-cases": {
                "get": {
                    "operationId": "listTerminatedCases",
                    "summary": "Cases closed by 终结本次执行程序 and not resumed, newest first.",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string", "maxLength": 60},
                            "description": "A case number (either parenthesis style) or the beginning of a respondent's name.",  # noqa: E501 - one message
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Opaque cursor taken from `next`; one the server cannot read starts "
                            "from the first page.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of cases.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/TerminatedPage"}}
                            },
                        },
                        "400": {"description": "The query string or form holds a NUL byte.", **error_response},
                        "422": {"description": "A parameter is invalid.", **error_response},
                        "429": {"description": "Too many requests from this address.", **error_response},
                    },
                }
            },
            "/api/v1/restrictions": {
                "get": {
                    "operationId": "searchRestrictions",
                    "summary": "Search or browse the consumption restriction orders in force, newest first.",
                    "description": "Without q every order in force is browsed. q is matched against the respondent "
                    "and the persons an order against an organisation also binds (while they are "
                    "restricted): a full name or its beginning, pinyin spelling or initials, a full "
                    "ID number or credit code together with the name, or a masked number; or a case "
                    "number (either parenthesis style). A lifted order is never returned. "
                    "Rate-limited per address.",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 60}},
                        {"name": "court", "in": "query", "allowEmptyValue": True, "schema": {"type": "integer"}},
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Opaque cursor taken from `next`.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of orders.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/RestrictionPage"}}
                            },
                        },
                        "400": {"description": "The query string or form holds a NUL byte.", **error_response},
                        "422": {"description": "A parameter is invalid.", **error_response},
                        "429": {"description": "Too many searches from this address.", **error_response},
                    },
                }
            },
            "/api/v1/bounties": {
                "get": {
                    "operationId": "searchBounties",
                    "summary": "Search or browse the published bounty notices (悬赏公告), newest first.",
                    "description": "q is matched like the defaulter list's: a full name or its beginning, pinyin "
                    "or initials, a case number, a full ID number together with the name, or a "
                    "masked number. Clues and informants are never returned. Rate-limited per "
                    "address.",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 60}},
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Opaque cursor taken from `next`.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of notices.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BountyPage"}}},
                        },
                        "400": {"description": "The query string or form holds a NUL byte.", **error_response},
                        "422": {"description": "A parameter is invalid.", **error_response},
                        "429": {"description": "Too many searches from this address.", **error_response},
                    },
                }
            },
            "/api/v1/stats": {
                "get": {
                    "operationId": "enforcementStats",
                    "summary": "The enforcement figures of the dashboard (执行数据) for a year, computed from the record.",  # noqa: E501 - one message
                    "description": "The same figures as /dashboard: received and closed cases per month and for the "
                    "year, closure modes, actual closure, amount-in-place, completion and 终本 rates, "
                    "days to close, measures taken, the year-on-year headline figures and the "
                    "oversight summary. Years and months are the court's (Asia/Shanghai).",
                    "parameters": [
                        {
                            "name": "year",
                            "in": "query",
                            "allowEmptyValue": True,
                            "schema": {"type": "integer"},
                            "description": "A year with cases; without it (or empty), the current year.",
                        },
                        {
                            "name": "court",
                            "in": "query",
                            "allowEmptyValue": True,
                            "schema": {"type": "string"},
                            "description": "A court code such as 鲁1427; without it (or empty), the portal's own court "
                            "(or all).",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The year's figures.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}},
                        },
                        "400": {"description": "The query string holds a NUL byte.", **error_response},
                        "404": {"description": "No such year or court.", **error_response},
                    },
                }
            },
            "/api/v1/defaulters": {
                "get": {
                    "operationId": "searchDefaulters",
                    "summary": "Search or browse the current list of dishonest judgment defaulters.",
                    "description": "Without q the whole current list is browsed, newest first. q is matched as "
                    "a full name or its beginning, pinyin spelling or initials, a case number "
                    "(either parenthesis style), a full ID number or credit code together with the "
                    'name ("张三 3714..."), or a masked '
                    "number. Only public, masked fields are returned. Rate-limited per address.",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 60}},
                        # Empty filters (as the web search form sends them) are the same as leaving them out.
                        {
                            "name": "ground",
                            "in": "query",
                            "allowEmptyValue": True,
                            "schema": {"type": "string", "enum": ["1", "2", "3", "4", "5", "6"]},
                        },
                        {"name": "court", "in": "query", "allowEmptyValue": True, "schema": {"type": "integer"}},
                        {
                            "name": "year",
                            "in": "query",
                            "allowEmptyValue": True,
                            "schema": {"type": "integer", "minimum": 2013, "maximum": 2100},
                        },
                        {
                            "name": "status",
                            "in": "query",
                            "allowEmptyValue": True,
                            "schema": {"type": "string", "enum": ["none", "partial"]},
                            "description": "Performance: nothing performed, or partly performed.",
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Opaque cursor taken from `next`.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of entries.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DefaulterPage"}}},
                        },
                        "400": {"description": "The query string or form holds a NUL byte.", **error_response},
                        "422": {"description": "A parameter is invalid.", **error_response},
                        "429": {"description": "Too many searches from this address.", **error_response},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "CaseView": CASE_VIEW,
                "Error": ERROR,
                "DefaulterEntry": DEFAULTER,
                "DefaulterPage": DEFAULTER_PAGE,
                "TerminatedPage": TERMINATED_PAGE,
                "RestrictionOrder": RESTRICTION,
                "RestrictionPage": RESTRICTION_PAGE,
                "BountyNotice": BOUNTY,
                "BountyPage": BOUNTY_PAGE,
                "Stats": STATS,
            }
        },
    }
