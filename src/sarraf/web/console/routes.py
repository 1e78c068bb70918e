"""All the console's routes in one router (included by web/app.py)."""

from fastapi import APIRouter

from sarraf.web.console import agents, auth, compliance, privacy, supervisors

router = APIRouter()
for part in (auth.router, agents.router, compliance.router, privacy.router, supervisors.router):
    router.include_router(part)
