"""Liveness and readiness probes for orchestrators (Docker, Kubernetes) and load balancers.

``/health/live`` answers as long as the process serves HTTP: restart when it
does not. ``/health/ready`` checks what a request needs (the backend answers,
the model is loaded) and says 503 otherwise: stop routing here until it
recovers. It also reports the classification queue (depth, work in
progress, workers, dead letters) when one is configured; the API itself
does not need the queue, so a queue that cannot be reached is reported but
does not make the API unready. Callers without the ``read`` scope get the
statuses only, no counts or versions. ``/health`` (unchanged) remains the
combined summary.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..deps import BackendDep, ClassifierDep, SettingsDep, has_scope
from ..schemas import Check, Liveness, Readiness

router = APIRouter(tags=["health"])


@router.get("/health/live", response_model=Liveness)
def live() -> Liveness:
    """Liveness: the process answers HTTP (checks nothing else)."""
    return Liveness()


def _backend_check(backend) -> Check:
    try:
        info = backend.health()
    except Exception as exc:  # a probe must answer whatever the backend does
        return Check(status="failing", error=str(exc)[:500], details={"backend": backend.name})
    ok = info.get("status", "ok") == "ok"
    return Check(status="ok" if ok else "failing", error=None if ok else f"backend status {info.get('status')}",
                 details={"backend": backend.name, **info})


def _queue_check(request: Request, settings) -> Check:
    url = settings.queue_redis_url or settings.crawl_redis_url
    if not url:
        return Check(status="off")
    from crawlers.queue import connect, queue_depth

    client = getattr(request.app.state, "queue_client", None)
    if client is None:
        client = request.app.state.queue_client = connect(url)
    try:
        return Check(status="ok", details=queue_depth(client, settings.queue_stream))
    except Exception as exc:  # Redis down or unreachable: say so, stay ready
        return Check(status="failing", error=f"{type(exc).__name__}: {str(exc)[:300]}",
                     details={"stream": settings.queue_stream})


@router.get("/health/ready", response_model=Readiness, response_model_exclude_none=True,
            responses={503: {"model": Readiness, "description": "Not ready: the backend fails or no model is loaded."}})
def ready(request: Request, backend: BackendDep, classifier: ClassifierDep, settings: SettingsDep):
    """Readiness: the backend answers and the model is loaded; reports the queue depth too."""
    checks = {
        "backend": _backend_check(backend),
        "model": Check(status="ok", details={"version": classifier.version}) if classifier is not None
        else Check(status="failing", error="no model loaded"),
        "queue": _queue_check(request, settings),
    }
    ok = checks["backend"].status == "ok" and checks["model"].status == "ok"
    if not has_scope(request, "read"):
        checks = {k: Check(status=c.status) for k, c in checks.items()}
    body = Readiness(status="ready" if ok else "not_ready", **checks)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=200 if ok else 503)
