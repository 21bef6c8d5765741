"""The stateful test of ``test_queue_stateful.py`` on ``ReliableQueue``, in both delivery modes.

A file of its own so that xdist (``--dist loadfile``) runs it on another worker than the plain queues'.
"""

from __future__ import annotations

from tests.test_queue_stateful import THREAD_SETTINGS, AtMostOnceMachine, ReliableQueueMachine

ReliableQueueMachine.TestCase.settings = THREAD_SETTINGS
TestReliableQueueAtLeastOnceStateful = ReliableQueueMachine.TestCase
AtMostOnceMachine.TestCase.settings = THREAD_SETTINGS
TestReliableQueueAtMostOnceStateful = AtMostOnceMachine.TestCase
