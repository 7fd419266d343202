import time


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass (for work done by a real worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def published_tasks(task: str | None = None) -> list[tuple[str, list]]:
    """(task name, args) of the messages waiting in the real broker's queues (the default one, then
    the webhooks' one), oldest first (for tests without a worker: what would a worker be asked to do?)."""
    import base64
    import json

    from config.celery import app

    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        raw_messages = [raw for queue in app.conf.task_queues for raw in reversed(client.lrange(queue.name, 0, -1))]
    found = []
    for raw in raw_messages:
        message = json.loads(raw)
        if task is None or message["headers"]["task"] == task:
            found.append((message["headers"]["task"], json.loads(base64.b64decode(message["body"]))[0]))
    return found


def empty_broker() -> None:
    from config.celery import app
    from core import handoff

    with app.connection_for_write() as connection:
        connection.default_channel.client.delete(*[queue.name for queue in app.conf.task_queues], handoff.KEY)


def handed_off() -> list[int]:
    """The response ids the web handed to the workers' dispatcher and nobody took yet (core/handoff.py)."""
    from config.celery import app
    from core import handoff

    with app.connection_for_write() as connection:
        return [int(v) for v in connection.default_channel.client.lrange(handoff.KEY, 0, -1)]


def prefers(user, language: str):
    """The staff member chooses `language` in their preferences (core.models.UserProfile)."""
    from core.models import UserProfile

    UserProfile.objects.update_or_create(user=user, defaults={"language": language})
    return user


def forget_rate_limits() -> None:
    """Drop every rate-limit and sign-in throttle count from Redis, so that one test's logins and
    answers (the same usernames from 127.0.0.1, test after test) never throttle the next test."""
    import redis
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for pattern in ("*:rl:*", "*signin-fail:*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()
