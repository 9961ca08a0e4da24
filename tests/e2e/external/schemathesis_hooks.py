"""schemathesis hooks for the checks in tests/e2e/external.rs (loaded through SCHEMATHESIS_HOOKS).

One hook, for a schemathesis behaviour (4.32.5) rather than a fault of the documents: in the
coverage phase, a header's valid values are drawn from letters and digits only, so an optional
header whose `pattern` needs any other character (todo's `If-Match`: `*` or quoted entity tags)
has none. The operation's template is then seeded with one of the header's invalid values
(`0`), and the cases built on it ("Default positive test case", the positive body variants)
stay labelled positive, so `positive_data_acceptance` fails on the 422 the header rightly gets.
For an optional parameter with no value at all, schemathesis leaves it out of the template;
this hook does the same for such a header, in the coverage phase's positive cases only.
"""

import jsonschema_rs
import schemathesis
from schemathesis.generation.modes import GenerationMode


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if (
        meta is None
        or meta.phase.name.value != "coverage"
        or meta.generation.mode != GenerationMode.POSITIVE
        or not case.headers
    ):
        return case
    for parameter in context.operation.headers:
        if parameter.is_required:
            continue
        for name in [key for key in case.headers if key.lower() == parameter.name.lower()]:
            schema = parameter.validation_schema
            if isinstance(schema, dict) and not jsonschema_rs.validator_for(schema).is_valid(case.headers[name]):
                del case.headers[name]
    return case
