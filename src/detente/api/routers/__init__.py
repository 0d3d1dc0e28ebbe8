"""The API's routers, one module per area; :func:`detente.api.app.create_app` includes them.

Each route parses its request (pydantic schemas in :mod:`detente.api.schemas`), calls
:mod:`detente.service` (directly, or through the job functions of :mod:`detente.api.tasks`)
and returns JSON. Errors are raised, and mapped to HTTP in one place
(:func:`detente.api.errors.install_error_map`).
"""
