"""The ASGI application as production serves it: `uvicorn app.asgi:app`."""

from app.main import build_asgi, create_app

fastapi_app = create_app()
app = build_asgi(fastapi_app)
