# The example program of the course's source document (the seed, 000_21f99026b119ea3b.txt),
# section 4 "具体代码实例和详细解释说明" (code example and detailed explanation), copied verbatim
# below this header.
#
# It is kept exactly as published ON PURPOSE, bugs included: chapter 04-code-example.ipynb runs
# it as it is, lets the learner find its bugs and fixes them with asyncomm, and
# tests/test_seed_example.py pins each bug as real behaviour. Do not fix, reformat or lint it.
# ruff: noqa

import threading
import queue
import time

# 消息队列实现
class MessageQueue:
    def __init__(self):
        self.queue = queue.Queue()

    def send_message(self, message):
        self.queue.put(message)

    def receive_message(self):
        return self.queue.get()

    def clear_queue(self):
        self.queue.queue.clear()

# 事件驱动实现
class EventDriver:
    def __init__(self):
        self.events = []

    def register_listener(self, listener):
        self.events.append(listener)

    def trigger_event(self):
        for listener in self.events:
            listener()

    def remove_listener(self, listener):
        self.events.remove(listener)

# 回调函数实现
def callback_function(message):
    print(f"Received message: {message}")

# 主线程
def main():
    queue = MessageQueue()
    queue.send_message("Hello, World!")
    print(f"Sent message: {queue.send_message}")

    event_driver = EventDriver()
    event_driver.register_listener(callback_function)
    event_driver.trigger_event()

    callback_function_thread = threading.Thread(target=callback_function, args=("Hello, World!",))
    callback_function_thread.start()

    queue.clear_queue()

if __name__ == "__main__":
    main()
