"""The co-view job on a tiny local Spark session (one session for the module)."""

import pytest
import responses

from marketplace_batch import recommendations
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.models_api import ModelsApiClient
from marketplace_batch.recommendations import (
    access_log_has_data,
    co_view_pairs,
    collect_recommendations,
    create_spark_session,
    read_access_log,
    run_once,
)

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    from marketplace_batch.settings import Settings

    session = create_spark_session(Settings.from_env({"SPARK_DRIVER_MEMORY": "512m"}), "tests")
    yield session
    session.stop()


def write_log(path, views):
    path.write_text("".join(f"{user}\t{listing}\n" for user, listing in views))


# Users 1-3 viewed 10 and 20 (3 users), users 1-3 viewed 10 and 30 (3), users 1-2 viewed
# 40 with 10 (only 2): 40 is not recommended. Anonymous views never pair.
VIEWS = [
    (1, 10),
    (1, 20),
    (1, 30),
    (1, 40),
    (1, 10),  # a repeat view counts once
    (2, 10),
    (2, 20),
    (2, 30),
    (2, 40),
    (3, 10),
    (3, 20),
    (3, 30),
    ("-", 10),
    ("-", 40),
    ("-", 50),
    (4, 20),
    (4, 30),
]


class CoViewPairsTest:
    def test_pairs_need_three_users_ranked_by_count_then_id(self, spark, tmp_path):
        log = tmp_path / "access.log"
        write_log(log, VIEWS + [("x", "not-a-number"), ("broken-line", "")])
        ranked = co_view_pairs(read_access_log(spark, log), min_users=3, top_n=10)
        recommendations = collect_recommendations(ranked)
        # 20<->30 are co-viewed by 4 users, 10<->20 and 10<->30 by 3.
        assert recommendations == {10: [20, 30], 20: [30, 10], 30: [20, 10]}

        top_one = collect_recommendations(co_view_pairs(read_access_log(spark, log), top_n=1))
        assert top_one == {10: [20], 20: [30], 30: [20]}

        lenient = collect_recommendations(co_view_pairs(read_access_log(spark, log), min_users=2))
        assert lenient[40] == [10, 20, 30]

        capped = co_view_pairs(read_access_log(spark, log), max_listings_per_user=3)
        # users 1 and 2 (4 listings each) are treated as crawlers and left out
        assert collect_recommendations(capped) == {}

    @responses.activate
    def test_run_once_replaces_set_in_models_api(self, spark, settings, tmp_path):
        write_log(settings.access_log_path, VIEWS)
        responses.put("http://models.test/api/v1/recommendations", json={"listings": 3})
        client = ModelsApiClient("http://models.test", "token")
        assert run_once(spark, settings, client, ShutdownFlag()) == {
            10: [20, 30],
            20: [30, 10],
            30: [20, 10],
        }
        assert len(responses.calls) == 1


class AccessLogPresenceTest:
    @responses.activate
    def test_missing_or_empty_log_skips_run_without_spark(self, settings, tmp_path, monkeypatch):
        assert not access_log_has_data(tmp_path / "nope.log")
        settings.access_log_path.write_text("")
        monkeypatch.setattr(recommendations, "create_spark_session", _no_spark)
        assert recommendations.run(settings, ShutdownFlag()) == 0
        assert len(responses.calls) == 0


def _no_spark(*args, **kwargs):
    raise AssertionError("Spark must not start without data")
