"""The product's URLs plus the benchmark's baseline: a bare view doing one ORM insert."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from core.models import AuditLog


@csrf_exempt
def baseline(request):
    AuditLog.objects.create(action="bench.baseline", actor_name="bench")
    return HttpResponse(status=204)


urlpatterns = [path("bench/baseline/", baseline), path("", include("config.urls"))]
