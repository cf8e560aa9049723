"""Served as `cello run modapp:application` (a module target with an attribute that is not `app`)."""
from cello import App

application = App()


@application.get("/")
def home(request):
    return {"served_by": "modapp.application"}


@application.get("/items/{id:int}")
def item(request):
    return {"id": request.params["id"]}
