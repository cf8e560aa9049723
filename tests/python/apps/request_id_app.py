"""App for test_request_id.py: handlers report the request id they see."""
from cello import App

app = App()
app.enable_request_id()
app.enable_logging()


@app.get("/id")
def show_id(request):
    return {"id": request.id}


@app.get("/kept")
def kept(request):
    # The request object outlives the handler here; its id must still be right.
    global last
    last = request
    return {"id": request.id}


@app.get("/last")
def last_id(request):
    return {"id": last.id}


last = None
