"""Property-based API tests: schemathesis generates requests from the app's own OpenAPI
schema and checks that no answer is a server error and every answer matches the schema
(status codes, content types, bodies).

One check is excluded: ``positive_data_acceptance`` expects every schema-valid body to be
accepted, but a Scenario has cross-field rules JSON Schema cannot state (ids must refer to
declared actors and issues, positions must lie on the issue's scale, ...), so a generated
"valid" scenario is usually, and rightly, a 422.
"""

from __future__ import annotations

from tests.extras import require

schemathesis = require("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from detente.api.app import ApiConfig, create_app  # noqa: E402

# a short time limit keeps any generated heavy request bounded; one job at a time
app = create_app(ApiConfig(request_timeout_s=10, job_timeout_s=20, max_jobs=1))
# the coverage phase enumerates hundreds of boundary cases of the large Scenario schema; the
# fuzzing phase (positive and negative data) is what CI can afford
config = schemathesis.config.SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_schema_conformance(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
