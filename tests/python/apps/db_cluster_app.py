"""An app on the database pool for cluster-mode tests: which worker answered, and which database
connection (PostgreSQL backend pid, or the SQLite connection's id) it used."""
import os

from cello import App, DatabaseConfig

app = App()
app.enable_database(DatabaseConfig(url=os.environ["DATABASE_URL"], pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "3"))))
app.enable_prometheus()  # the pools of every worker, added up on any worker's page
POSTGRES = os.environ["DATABASE_URL"].startswith("postgres")


@app.get("/who")
async def who(request):
    if POSTGRES:
        backend = await request.db.fetch_val("SELECT pg_backend_pid() FROM pg_sleep(0.01)")
    else:
        await request.db.execute("INSERT INTO hits (worker) VALUES (?)", [os.getpid()])
        backend = await request.db.fetch_val("SELECT count(*) FROM hits")
    return {"worker": os.getpid(), "backend": backend, "open": request.db.stats["open"]}
