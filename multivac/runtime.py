"""The objects a running Multivac process shares, built once from validated settings.

A `Runtime` is owned by the Flask app (`app.extensions["multivac"]`) or the Celery app
(`celery_app.runtime`); nothing here is a module global. Vendor clients are built on first use, so a
vendor being down never stops a process from starting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.threads import Threads
from multivac.integrations.jira import build_tracker
from multivac.integrations.pagerduty import build_pager
from multivac.integrations.ports import Chat, Pager, Tracker
from multivac.integrations.slack import build_chat
from multivac.settings import Settings
from multivac.store.cache import Remembered
from multivac.store.database import make_engine, make_session_factory


@dataclass
class Runtime:
    settings: Settings
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url)
        self.sessions = make_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
        )

    @cached_property
    def chat(self) -> Chat:
        return build_chat(self.settings.slack)

    @cached_property
    def pager(self) -> Pager:
        return build_pager(self.settings.pagerduty)

    @cached_property
    def tracker(self) -> Tracker:
        return build_tracker(self.settings.jira)

    @cached_property
    def threads(self) -> Threads:
        return Threads.start()

    @cached_property
    def remembered(self) -> Remembered:
        return Remembered()

    def deps(self) -> Deps:
        """What war-room steps work with."""
        return Deps(
            self.chat,
            self.pager,
            self.tracker,
            self.settings,
            self.sessions,
            self.threads,
            self.remembered,
        )

    def close(self) -> None:
        if "threads" in self.__dict__:
            self.threads.close()
        self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()
