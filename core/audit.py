from core.models import AuditLog


def audit_log(*, actor, action: str, target=None, data: dict | None = None) -> AuditLog:
    """Record a staff action. `actor` may be None for the system (tasks, commands)."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditLog.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "system",
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=data or {},
    )
