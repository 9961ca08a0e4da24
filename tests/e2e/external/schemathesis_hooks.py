"""schemathesis hooks for the checks in tests/e2e/external.rs (loaded through SCHEMATHESIS_HOOKS).

Two corrections, each for something schemathesis (4.32.5) cannot know from a document.

An unsatisfiable optional header, a schemathesis behaviour rather than a fault of the documents: in the
coverage phase, a header's valid values are drawn from letters and digits only, so an optional
header whose `pattern` needs any other character (todo's `If-Match`: `*` or quoted entity tags)
has none. The operation's template is then seeded with one of the header's invalid values
(`0`), and the cases built on it ("Default positive test case", the positive body variants)
stay labelled positive, so `positive_data_acceptance` fails on the 422 the header rightly gets.
For an optional parameter with no value at all, schemathesis leaves it out of the template;
`drop_unsatisfiable_optional_headers` does the same for such a header, in the coverage phase's
positive cases only.

Idempotency keys: a key names one request, and the service refuses it with any other (422,
as the IETF's Idempotency-Key draft says). schemathesis draws keys from a small space and
sends one with different bodies, so `fresh_idempotency_keys` gives each positive case that
carries a key a key of its own. (Retries with a key are tested in tests/e2e/todo.rs.)
"""

import uuid

import jsonschema_rs
import schemathesis
from schemathesis.generation.modes import GenerationMode


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE or not case.headers:
        return case
    if meta.phase.name.value == "coverage":
        drop_unsatisfiable_optional_headers(context, case)
    fresh_idempotency_keys(case)
    return case


def drop_unsatisfiable_optional_headers(context, case):
    for parameter in context.operation.headers:
        if parameter.is_required:
            continue
        for name in [key for key in case.headers if key.lower() == parameter.name.lower()]:
            schema = parameter.validation_schema
            if isinstance(schema, dict) and not jsonschema_rs.validator_for(schema).is_valid(case.headers[name]):
                del case.headers[name]


def fresh_idempotency_keys(case):
    for name in [key for key in case.headers if key.lower() == "idempotency-key"]:
        case.headers[name] = str(uuid.uuid4())
