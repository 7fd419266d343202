"""Seed a large data set fast, with set-based INSERT … SELECT over generate_series (PostgreSQL only).

Used by `make bench` (1,000,000 responses). The shapes follow the demo: three campaigns, contacts
with plan/region/size segments, answered invitations, driver answers, follow-ups for the unhappy.
A second call appends as many again in the same shapes (tests/load/bench_scale.py grows 1M to 10M so).
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction

from core.models import Team
from surveys.models import Campaign, Question, Touchpoint


def _literal(field) -> str:
    """SQL for a field's default, for a column the seeding does not name."""
    value = field.get_default()
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return "now()"
    if isinstance(value, (dict, list)):
        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    return "'" + str(value).replace("'", "''") + "'"


_INSERT = re.compile(r"\s*INSERT INTO (\w+) \(([^)]*)\)\s*(SELECT .*)", re.DOTALL)


def _insert_select(cur, statement: str, params) -> None:
    """Run an INSERT … SELECT that names the columns it seeds; every other column of the table gets
    its model default. A column added later (a NOT NULL one has a default) never breaks the seeding:
    it broke twice, unnoticed, on the phone column and on the account role."""
    table, columns, select = _INSERT.fullmatch(statement).groups()
    named = {c.strip().strip('"') for c in columns.split(",")}
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f.column not in named]
    extra_columns = "".join(f', "{f.column}"' for f in rest)
    extra_values = "".join(f", {_literal(f)}" for f in rest)
    end = _select_list_end(select)
    cur.execute(f"INSERT INTO {table} ({columns}{extra_columns}) {select[:end]}{extra_values} {select[end:]}", params)


def _select_list_end(select: str) -> int:
    """Where the outer SELECT's list ends: its FROM, outside any parentheses."""
    depth = 0
    for match in re.finditer(r"[()]|\bFROM\b", select):
        token = match.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            return match.start()
    raise ValueError("no FROM in the seeding statement")


def _base():
    from django.contrib.auth import get_user_model

    from core.roles import assign_role
    from followups.models import RoutingRule

    User = get_user_model()
    care, _ = Team.objects.get_or_create(name="Care", defaults={"nps_target": 30})
    success, _ = Team.objects.get_or_create(name="Success", defaults={"nps_target": 40})
    agents = []
    for i in range(6):
        user, created = User.objects.get_or_create(
            username=f"bench-agent{i}", defaults={"email": f"a{i}@bench.example"}
        )
        if created:
            user.set_unusable_password()
            user.save()
        assign_role(user, "agent")
        agents.append(user)
    care.members.add(*agents[:3])
    success.members.add(*agents[3:])
    care.lead, success.lead = agents[0], agents[3]
    care.save()
    success.save()
    if not RoutingRule.objects.exists():
        RoutingRule.objects.create(
            name="All: round-robin in Care", order=1, target=RoutingRule.Target.ROUND_ROBIN, team=care
        )
    tp = {t.slug: t for t in Touchpoint.objects.all()}
    campaigns = []
    for name, kind, slug, team in (
        ("Relationship", "relational", "renewal", success),
        ("Support", "transactional", "support", care),
        ("Onboarding", "transactional", "onboarding", success),
    ):
        campaign, _ = Campaign.objects.get_or_create(
            name=f"Bench {name}",
            defaults={
                "kind": kind,
                "touchpoint": tp[slug],
                "team": team,
                "status": Campaign.Status.ACTIVE,
                "reminder_after_days": None,
            },
        )
        campaigns.append(campaign)
    question, _ = Question.objects.get_or_create(
        campaign=campaigns[1],
        order=1,
        defaults={
            "kind": Question.Kind.CSAT,
            "driver": Question.Driver.PROCESS,
            "text": "How satisfied were you with support?",
        },
    )
    return campaigns, question, agents


# What customers write, in Dutch and English, for the comments of every fifth answer (themes, #23).
COMMENTS = [
    "De wachttijd aan de telefoon was veel te lang.",
    "Ik heb twee weken gewacht op een reactie van de klantenservice.",
    "Snel en vriendelijk geholpen door de medewerker.",
    "De factuur klopte niet en ik moest drie keer bellen.",
    "Veel te duur vergeleken met andere aanbieders.",
    "De app crasht steeds bij het inloggen.",
    "Prima service, niets op aan te merken.",
    "Het pakket werd keurig op tijd bezorgd.",
    "Waited over an hour on the phone before anyone picked up.",
    "The invoice was wrong again and nobody called back.",
    "Great support team, they fixed my problem quickly.",
    "Too expensive for what you get.",
    "The new dashboard is easy to use and clear.",
    "Delivery was late and the package was damaged.",
    "Keeps crashing when I upload a file, very frustrating.",
    "Good value, friendly people, would recommend.",
]

BULK_TABLES = (
    "surveys_contact",
    "surveys_invitation",
    "surveys_response",
    "surveys_answer",
    "followups_followup",
    "core_emaildelivery",
)

# The rebuild after a load (#27): every index of a bulk table is one sort of the whole table, and every
# foreign key one join of it, most of them single-threaded in PostgreSQL 15. They run over this many
# connections at once, each sort in memory rather than in temporary files (a parallel B-tree build
# splits maintenance_work_mem between its processes: 512MB spilled at 10M rows, 1.5GB does not).
REBUILD_CONNECTIONS = 2
MAINTENANCE_SETTINGS = (
    "SET maintenance_work_mem = '1536MB'",
    "SET max_parallel_maintenance_workers = 2",
    "SET synchronous_commit = off",
)


@dataclass
class _Job:
    """One step of the rebuild, on `table`, locking `locks` (its table, and for a foreign key's
    `NOT VALID` also the table it references). Index builds (SHARE) of one table run side by side;
    a step that is `alone` (adding constraints, validating one) runs with no other step on its
    tables. A foreign key's validation also `reads` the table it references (ROW SHARE), which only
    an `alone` step there (adding a check takes ACCESS EXCLUSIVE) would make it wait for."""

    table: str
    name: str
    sql: str
    alone: bool = False
    locks: frozenset = frozenset()
    reads: frozenset = frozenset()
    needs: str = ""  # a step that must be done first
    after_load: bool = False  # only once every table is loaded

    def __post_init__(self):
        self.locks = self.locks or frozenset({self.table})


@dataclass
class _Rebuild:
    jobs: list = field(default_factory=list)  # run over several connections
    attach: list = field(default_factory=list)  # unique constraints onto their rebuilt indexes, at the end


def _drop_secondary_structures(cur) -> _Rebuild:
    """Drop the non-primary-key indexes and constraints of the bulk tables; return how to rebuild them.

    The classic bulk-load recipe: building an index once over a full table is far cheaper than
    maintaining it row by row, and foreign keys validate in one join instead of a trigger per row.
    They come back as the migrations define them, every one valid: a unique constraint as its
    index, then `ADD CONSTRAINT … UNIQUE USING INDEX`; a check or foreign key `NOT VALID` once the
    rows are in, then `VALIDATE CONSTRAINT` (the same join as a plain `ADD CONSTRAINT`, under a lock
    that lets the other tables' steps run meanwhile).
    """
    rebuild = _Rebuild()
    cur.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype,
               pg_get_indexdef(c.conindid), c.confrelid::regclass::text
        FROM pg_constraint c
        WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'u', 'c')
        ORDER BY c.contype DESC
    """,
        [list(BULK_TABLES)],
    )
    constraints = cur.fetchall()
    for table, name, *_ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cur.execute(
        """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE tablename = ANY(%s) AND indexname NOT IN (
            SELECT conname FROM pg_constraint WHERE contype = 'p')
    """,
        [list(BULK_TABLES)],
    )
    for table, name, definition in cur.fetchall():
        cur.execute(f'DROP INDEX "{name}"')
        rebuild.jobs.append(_Job(table, name, definition))
    not_valid: dict = {}
    for table, name, definition, kind, index, referenced in constraints:
        if kind == "u" and "DEFERRABLE" not in definition:
            rebuild.jobs.append(_Job(table, name, index))
            rebuild.attach.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"')
        elif kind == "u":
            add = f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            rebuild.jobs.append(_Job(table, name, add, alone=True, after_load=True))
        else:
            statements, locks = not_valid.setdefault(table, ([], {table}))
            statements.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
            locks.update({referenced} & set(BULK_TABLES))
            validate = f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"'
            reads = frozenset({referenced} & set(BULK_TABLES))
            rebuild.jobs.append(_Job(table, name, validate, alone=True, reads=reads, needs=f"add {table}"))
    for table, (statements, locks) in not_valid.items():
        add = _Job(table, f"add {table}", "; ".join(statements), alone=True, locks=frozenset(locks), after_load=True)
        rebuild.jobs.append(add)
    return rebuild


# Which tables' steps go first: the largest, whose steps take longest.
_TABLE_ORDER = (
    "surveys_response",
    "surveys_invitation",
    "followups_followup",
    "core_emaildelivery",
    "surveys_answer",
    "surveys_contact",
)


class _Pool:
    """The rebuild's steps over `connections` connections of their own (autocommit), in threads.

    A table's index builds are released as soon as its rows are committed, so they run while the
    next tables load (the loading only reads the earlier tables, which a build's SHARE lock allows).
    Once every table is loaded, a table's checks and foreign keys are added `NOT VALID` (at once,
    when no step runs on it or on a table it references) and then validated one by one. A step is
    only handed out when it would not wait for a lock held by a running step: the trigram index (the
    longest build, single-threaded in PostgreSQL 15) first, then the largest tables."""

    def __init__(self, jobs: list[_Job], connections: int):
        self.pending = sorted(
            jobs,
            key=lambda j: (
                " gin " not in j.sql.lower(),
                not j.name.startswith("add "),
                _TABLE_ORDER.index(j.table),
                j.alone,
                j.name,
            ),
        )
        self.released: set = set()
        self.running: list[_Job] = []
        self.done: set = set()
        self.seconds: dict = {}
        self.errors: list = []
        self.loaded = self.stopped = False
        self.ready = threading.Condition()
        self.threads = [threading.Thread(target=self._work) for _ in range(connections)]
        for thread in self.threads:
            thread.start()

    def _startable(self, job: _Job) -> bool:
        if (job.after_load and not self.loaded) or (job.needs and job.needs not in self.done):
            return False
        if not job.locks <= self.released:
            return False
        return not any(
            (job.locks & r.locks and (job.alone or r.alone))
            or (job.reads & r.locks and r.alone)
            or (job.locks & r.reads and job.alone)
            for r in self.running
        )

    def _next(self):
        """The next step to run, or None when the pool is done."""
        with self.ready:
            while True:
                if self.errors or self.stopped or (self.loaded and not self.pending):
                    return None
                job = next(filter(self._startable, self.pending), None)
                if job:
                    self.pending.remove(job)
                    self.running.append(job)
                    return job
                self.ready.wait()

    def _work(self):
        raw = connection.get_new_connection(connection.get_connection_params())
        raw.autocommit = True
        try:
            with raw.cursor() as cur:
                for statement in MAINTENANCE_SETTINGS:
                    cur.execute(statement)
                while job := self._next():
                    started = time.perf_counter()
                    try:
                        cur.execute(job.sql)
                    except Exception as exc:
                        self.errors.append(exc)
                    self.seconds[job.name] = round(time.perf_counter() - started, 1)
                    with self.ready:
                        self.running.remove(job)
                        self.done.add(job.name)
                        self.ready.notify_all()
        except Exception as exc:
            self.errors.append(exc)
        finally:
            raw.close()
            with self.ready:
                self.ready.notify_all()

    def release(self, table: str) -> None:
        with self.ready:
            self.released.add(table)
            self.ready.notify_all()

    def all_loaded(self) -> None:
        with self.ready:
            self.loaded = True
            self.ready.notify_all()

    def join(self) -> dict:
        """Wait for every step; each step's seconds, longest first."""
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]
        return dict(sorted(self.seconds.items(), key=lambda item: -item[1]))

    def stop(self) -> None:
        with self.ready:
            self.stopped = True
            self.ready.notify_all()
        for thread in self.threads:
            thread.join()


def seed_bulk(*, responses: int, contacts: int, accounts: int = 0) -> dict:
    """Insert `responses` answered invitations and responses (and follow-ups), and `accounts`
    accounts (#24) that the contacts belong to, one in four a decision maker. Returns timings.
    Not inside a transaction: the rebuild runs over connections of its own, after a commit."""
    if connection.in_atomic_block:
        raise RuntimeError("seed_bulk commits before it rebuilds the indexes: call it outside a transaction")
    timings = {}
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        with transaction.atomic():
            rebuild = _drop_secondary_structures(cur)
        pool = _Pool(rebuild.jobs, REBUILD_CONNECTIONS)
        try:
            _load(cur, pool, timings, started, accounts=accounts, contacts=contacts, responses=responses)
            pool.all_loaded()
            timings["rebuild_steps_s"] = pool.join()
            for statement in rebuild.attach:
                cur.execute(statement)
        finally:
            pool.stop()
            cur.execute("RESET synchronous_commit")
    timings["indexes_s"] = round(time.perf_counter() - started, 2)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    timings["total_s"] = round(time.perf_counter() - started, 2)
    return timings


def _load(cur, pool: _Pool, timings: dict, started: float, *, accounts: int, contacts: int, responses: int) -> None:
    """The rows, one table after another, each committed and handed to the rebuild as it is loaded."""
    campaigns, question, agents = _base()
    c_ids = [c.pk for c in campaigns]
    tp_ids = [c.touchpoint_id for c in campaigns]
    team_ids = [c.team_id for c in campaigns]
    kinds = [c.kind for c in campaigns]
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM surveys_account")
    first_account = cur.fetchone()[0] + 1
    if accounts:
        cur.execute(
            """
            INSERT INTO surveys_account (name, external_id, segment, attributes, arr, currency, owner_id,
                                         team_id, renewal_date, status, churned_at, churn_reason, health,
                                         health_nps, health_n, health_changed_at, created_at, updated_at)
            SELECT 'Account ' || g, 'ACC-' || g, (ARRAY['SMB','Mid-market','Enterprise'])[1 + g %% 3],
                   '{}'::jsonb, 1000 + (g * 7919) %% 400000, 'EUR', NULL, NULL,
                   current_date + ((g %% 400) - 30)::int, 'active', NULL, '', '', NULL, 0, NULL, now(), now()
            FROM generate_series(%s::bigint, %s::bigint) AS g
        """,
            [first_account, first_account + accounts - 1],
        )
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM surveys_contact")
    first_contact = cur.fetchone()[0] + 1
    _insert_select(
        cur,
        """
        INSERT INTO surveys_contact (email, name, external_id, company, phone, time_zone, attributes, language,
                                     account_owner_id, account_id, account_role, opted_out_at,
                                     undeliverable_at, erased_at, created_at, updated_at)
        SELECT 'c' || g || '@bench.example', 'Customer ' || g, 'EXT-' || g, 'Company ' || (g %% 700),
               CASE WHEN g %% 3 = 0 THEN '' ELSE '+44 7700 900' || lpad((g %% 1000)::text, 3, '0') END, '',
               jsonb_build_object('plan', (ARRAY['starter','pro','enterprise'])[1 + g %% 3],
                                  'region', (ARRAY['EU','NA','APAC'])[1 + (g / 3) %% 3],
                                  'size', (ARRAY['smb','mid','large'])[1 + (g / 9) %% 3]),
               CASE WHEN g %% 4 = 0 THEN 'nl' ELSE 'en' END, NULL,
               CASE WHEN %s::bigint > 0 THEN %s::bigint + g %% GREATEST(%s::bigint, 1) END,
               CASE WHEN %s::bigint > 0 AND g %% 4 = 0 THEN 'decision_maker'
                    WHEN %s::bigint > 0 THEN 'user' ELSE '' END,
               NULL, NULL, NULL, now() - (g %% 365) * interval '1 day', now() - (g %% 365) * interval '1 day'
        FROM generate_series(%s::bigint, %s::bigint) AS g
    """,
        [accounts, first_account, accounts, accounts, accounts, first_contact, first_contact + contacts - 1],
    )
    pool.release("surveys_contact")
    lo, hi = first_contact, first_contact + contacts - 1
    span = hi - lo + 1
    # One answered invitation per response, spread over the past 365 days in time order, as rows
    # arrive in production (the recent ones lie together, not on every page); campaign by g % 10.
    _insert_select(
        cur,
        """
        INSERT INTO surveys_invitation (campaign_id, wave_id, contact_id, token, status, skip_reason,
                                        failure_reason, provider_message_id, send_after, sent_at, reminded_at,
                                        answered_at, created_at, trigger_key, served_by)
        SELECT (ARRAY[%s, %s, %s]::bigint[])[1 + (CASE WHEN g %% 10 < 4 THEN 0 WHEN g %% 10 < 8 THEN 1 ELSE 2 END)],
               NULL, %s::bigint + (g::bigint * 7919) %% %s::bigint, substr(md5('bench' || g || random()::text), 1, 24), 'answered',
               '', '', '', NULL, ts - interval '5 hours', NULL, ts, ts - interval '5 hours', NULL, ''
        FROM (SELECT g, now() - ((%s::float8 - g + random()) / %s::float8) * interval '365 days' AS ts
              FROM generate_series(1, %s::int) AS g) s
    """,
        [*c_ids, lo, span, responses, responses, responses],
    )
    timings["invitations_s"] = round(time.perf_counter() - started, 2)
    pool.release("surveys_invitation")
    _insert_select(
        cur,
        """
        INSERT INTO surveys_response (campaign_id, contact_id, invitation_id, score, category, comment, kind,
                                      touchpoint_id, team_id, channel, language, submitted_at, updated_at,
                                      processed_at)
        SELECT i.campaign_id, i.contact_id, i.id, s.score,
               CASE WHEN s.score >= 9 THEN 'promoter' WHEN s.score >= 7 THEN 'passive' ELSE 'detractor' END,
               CASE WHEN i.id %% 5 = 0 THEN (%s::text[])[1 + (i.id / 5) %% %s] ELSE '' END,
               CASE i.campaign_id WHEN %s::bigint THEN %s::text WHEN %s::bigint THEN %s::text ELSE %s::text END,
               CASE i.campaign_id WHEN %s::bigint THEN %s::bigint WHEN %s::bigint THEN %s::bigint ELSE %s::bigint END,
               CASE i.campaign_id WHEN %s::bigint THEN %s::bigint WHEN %s::bigint THEN %s::bigint ELSE %s::bigint END,
               'email', CASE WHEN i.contact_id %% 4 = 0 THEN 'nl' ELSE 'en' END,
               i.answered_at, i.answered_at, i.answered_at
        FROM surveys_invitation i
        CROSS JOIN LATERAL (SELECT LEAST(10, FLOOR(11 * POWER(random(), 0.55 + 0.1 * (i.id %% 3))))::int
                                   AS score) s
        WHERE i.status = 'answered' AND i.id > (
            SELECT COALESCE(MAX(invitation_id), 0) FROM surveys_response)
    """,
        [
            COMMENTS,
            len(COMMENTS),
            c_ids[0],
            kinds[0],
            c_ids[1],
            kinds[1],
            kinds[2],
            c_ids[0],
            tp_ids[0],
            c_ids[1],
            tp_ids[1],
            tp_ids[2],
            c_ids[0],
            team_ids[0],
            c_ids[1],
            team_ids[1],
            team_ids[2],
        ],
    )
    timings["responses_s"] = round(time.perf_counter() - started, 2)
    pool.release("surveys_response")
    _insert_select(
        cur,
        """
        INSERT INTO surveys_answer (response_id, question_id, number, text, choices)
        SELECT r.id, %s::bigint, GREATEST(1, LEAST(5, 1 + r.score / 2)), '', '[]'::jsonb
        FROM surveys_response r WHERE r.campaign_id = %s AND r.id %% 2 = 0 AND r.id > (
            SELECT COALESCE(MAX(response_id), 0) FROM surveys_answer)
    """,
        [question.pk, c_ids[1]],
    )
    pool.release("surveys_answer")
    agent_ids = [a.pk for a in agents]
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM followups_followup")
    cases_before = cur.fetchone()[0]
    _insert_select(
        cur,
        """
        INSERT INTO followups_followup (response_id, contact_id, category, owner_id, team_id, routed_by_id, status,
                                        due_at, escalation_level, at_risk, first_contact_at, closed_at,
                                        closed_reason, resolution_summary, outcome, created_at, updated_at)
        SELECT r.id, r.contact_id, r.category, (%s::bigint[])[1 + r.id %% %s::int], r.team_id, NULL,
               CASE WHEN r.submitted_at > now() - interval '14 days' THEN 'new' ELSE 'resolved' END,
               r.submitted_at + CASE WHEN r.category = 'detractor' THEN interval '48 hours'
                                     ELSE interval '168 hours' END,
               0, false,
               CASE WHEN r.submitted_at > now() - interval '14 days' THEN NULL
                    ELSE r.submitted_at + interval '20 hours' END,
               CASE WHEN r.submitted_at > now() - interval '14 days' THEN NULL
                    ELSE r.submitted_at + interval '30 hours' END,
               '', '', '', r.submitted_at, r.submitted_at
        FROM surveys_response r
        WHERE r.category IN ('detractor', 'passive') AND r.id > (
            SELECT COALESCE(MAX(response_id), 0) FROM followups_followup)
    """,
        [agent_ids, len(agent_ids)],
    )
    timings["followups_s"] = round(time.perf_counter() - started, 2)
    pool.release("followups_followup")
    # Each case's owner alert in the e-mail ledger, sent when the case opened, under the key the product
    # gives it (followups.emails.owner_alert_key): a database that took these answers holds them. Left
    # empty, the ledger was analyzed empty, and the plans of the queries that look keys up in it (the
    # sweep's missing-alert check, the bench's own settle) read it whole once per case as it grew.
    _insert_select(
        cur,
        """
        INSERT INTO core_emaildelivery (key, kind, "to", status, created_at, sent_at)
        SELECT 'followup-owner:' || f.id || ':' || f.owner_id, 'followup_owner', u.email, 'sent',
               f.created_at, f.created_at
        FROM followups_followup f JOIN auth_user u ON u.id = f.owner_id
        WHERE f.id > %s AND u.email <> ''
    """,
        [cases_before],
    )
    timings["ledger_s"] = round(time.perf_counter() - started, 2)
    pool.release("core_emaildelivery")
