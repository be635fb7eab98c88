"""Reference subscriber: a view of every claim, kept from claimflow's Kafka topics.

    python examples/subscriber.py --bootstrap 127.0.0.1:9092 --group my-service --db view.db

First start (no committed offsets): read the compacted claims.state.v1 to its end (the
latest event of every claim), then follow claims.lifecycle.v1 from a little before that.
De-duplicates on (claim id, seq); a seq that skips ahead means missed events, so the
partition is re-read. Offsets are committed only after the view is saved.
"""

import argparse
import json
import sqlite3
import time

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition


def parts(consumer, topic):
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]


def seen(db, claim_id):  # the highest seq applied for the claim
    (seq,) = db.execute("SELECT max(seq) FROM claims WHERE claim_id = ?", (claim_id,)).fetchone()
    return seq or 0


def save(db, event):
    db.execute(
        "INSERT INTO claims VALUES (?, ?, ?, ?) ON CONFLICT (claim_id) DO UPDATE SET seq="
        "excluded.seq, status=excluded.status, event=excluded.event WHERE excluded.seq > seq",
        (event["subject"], event["data"]["seq"], event["data"]["status"], json.dumps(event)),
    )


def bootstrap(consumer, topic, db):  # the state topic to its end: each claim's latest event
    consumer.assign(tps := parts(consumer, topic))
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    while any(consumer.position(tp) < ends[tp] for tp in tps):
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                save(db, json.loads(record.value))
    db.commit()
    print(f"bootstrapped {db.execute('SELECT count(*) FROM claims').fetchone()[0]} claims")


def handle(consumer, tp, records, db, rewound):
    """Apply a partition's records in order, then commit; a gap rewinds the partition."""
    done = None
    for record in records:
        event = json.loads(record.value)
        claim_id, seq = event["subject"], event["data"]["seq"]
        known = seen(db, claim_id)
        if seq > known + 1 and rewound.get(tp, -1) < record.offset:
            print(f"gap: {claim_id} seq {known + 1}..{seq - 1} missing; re-reading {tp}")
            rewound[tp] = record.offset
            consumer.seek(tp, consumer.beginning_offsets([tp])[tp])
            break
        if seq > known + 1:  # re-read, still missing: gone from the topic (retention)
            print(f"{claim_id} seq {known + 1}..{seq - 1} are no longer on the topic")
        if seq > known:  # else a duplicate (at-least-once delivery) or already in the view
            save(db, event)
        done = record.offset + 1
    if done is not None:
        db.commit()  # the view first, the offset after: a crash re-reads, never skips
        consumer.commit({tp: OffsetAndMetadata(done, "", -1)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options = [("bootstrap", "127.0.0.1:9092"), ("group", None), ("db", None), ("prefix", "")]
    for name, default in options:  # --prefix: a topic name prefix, for tests
        parser.add_argument(f"--{name}", default=default, required=default is None)
    args = parser.parse_args()
    db = sqlite3.connect(args.db)
    db.execute("CREATE TABLE IF NOT EXISTS claims (claim_id TEXT PRIMARY KEY, seq, status, event)")
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap, group_id=args.group, enable_auto_commit=False
    )
    lifecycle = parts(consumer, args.prefix + "claims.lifecycle.v1")
    if all(consumer.committed(tp) is None for tp in lifecycle):
        start_ms = int(time.time() * 1000)
        # The lifecycle's end before the state read: whatever is published from here on is
        # read. (Taken after it, an event sent meanwhile would fall behind the start.)
        ends = consumer.end_offsets(lifecycle)
        bootstrap(consumer, args.prefix + "claims.state.v1", db)
        # Follow from 10 minutes before the state read: events then in flight may be missing.
        since = consumer.offsets_for_times({tp: start_ms - 600_000 for tp in lifecycle})
        consumer.assign(lifecycle)
        for tp in lifecycle:
            start = ends[tp] if since[tp] is None else min(since[tp].offset, ends[tp])
            consumer.seek(tp, start)
    else:
        consumer.assign(lifecycle)  # resumes from the group's committed offsets
    rewound = {}
    while True:
        for tp, records in consumer.poll(timeout_ms=1000).items():
            handle(consumer, tp, records, db, rewound)


if __name__ == "__main__":
    main()
