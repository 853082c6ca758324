"""Co-view recommendations ("people who viewed this also viewed") with PySpark.

Over the access log: distinct (user, listing) pairs, self-joined on the user into
co-viewed listing pairs, kept when at least ``min_users`` distinct users viewed both,
the top ``top_n`` per listing by that count (ties by listing id), written to models-api
(``PUT /recommendations`` replaces the whole set). Local mode here; the same job runs on
a cluster by changing the master.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from .lifecycle import Backoff, ShutdownFlag, Stopping, retry_until_done
from .models_api import ModelsApiClient, ModelsApiError
from .models_api import is_transient as models_api_transient
from .settings import Settings

logger = logging.getLogger(__name__)

# A "user" with thousands of distinct listings is a crawler, and would make the
# self-join quadratic; such users are left out of the pairs.
MAX_LISTINGS_PER_USER = 1000


def create_spark_session(settings: Settings, app_name: str = "co-view-recommendations"):
    """A small local Spark session bound to loopback, without the web UI."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.adaptive.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def read_access_log(spark, path: Path):
    """The access log as (user_id, listing_id), without anonymous or malformed lines."""
    from pyspark.sql import functions as F

    lines = spark.read.text(Path(path).resolve().as_uri())
    parts = F.split(F.col("value"), "\t")
    return (
        lines.where(F.size(parts) == 2)
        .select(
            parts.getItem(0).alias("user_id"),
            parts.getItem(1).try_cast("long").alias("listing_id"),
        )
        .where(
            (F.col("user_id") != "-") & (F.col("user_id") != "") & F.col("listing_id").isNotNull()
        )
    )


def co_view_pairs(views, *, min_users: int = 3, top_n: int = 10, max_listings_per_user=None):
    """Rank co-viewed listings: DataFrame(listing_id, recommended_id, users, rank).

    ``views`` has columns user_id and listing_id (repeats allowed).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    pairs = views.select("user_id", "listing_id").distinct()
    cap = MAX_LISTINGS_PER_USER if max_listings_per_user is None else max_listings_per_user
    if cap:
        per_user = pairs.groupBy("user_id").count().where(F.col("count") <= cap)
        pairs = pairs.join(per_user.select("user_id"), "user_id")
    left = pairs.alias("a")
    right = pairs.alias("b")
    co_viewed = left.join(
        right,
        (F.col("a.user_id") == F.col("b.user_id"))
        & (F.col("a.listing_id") != F.col("b.listing_id")),
    ).select(
        F.col("a.listing_id").alias("listing_id"),
        F.col("b.listing_id").alias("recommended_id"),
    )
    # The (user, listing) pairs are distinct, so each row is one distinct user.
    counted = co_viewed.groupBy("listing_id", "recommended_id").agg(F.count("*").alias("users"))
    order = Window.partitionBy("listing_id").orderBy(
        F.col("users").desc(), F.col("recommended_id").asc()
    )
    return (
        counted.where(F.col("users") >= min_users)
        .withColumn("rank", F.row_number().over(order))
        .where(F.col("rank") <= top_n)
    )


def collect_recommendations(ranked) -> dict[int, list[int]]:
    """{listing_id: [recommended ids, best first]} from :func:`co_view_pairs`' output."""
    result: dict[int, list[tuple[int, int]]] = {}
    for row in ranked.select("listing_id", "recommended_id", "rank").collect():
        result.setdefault(int(row["listing_id"]), []).append(
            (int(row["rank"]), int(row["recommended_id"]))
        )
    return {listing: [rec for _, rec in sorted(recs)] for listing, recs in sorted(result.items())}


def access_log_has_data(path: Path) -> bool:
    try:
        return Path(path).stat().st_size > 0
    except FileNotFoundError:
        return False


def compute_recommendations(spark, settings: Settings) -> dict[int, list[int]]:
    views = read_access_log(spark, settings.access_log_path)
    ranked = co_view_pairs(
        views,
        min_users=settings.recommendations_min_users,
        top_n=settings.recommendations_top_n,
    )
    return collect_recommendations(ranked)


def run_once(spark, settings: Settings, models_api: ModelsApiClient, shutdown: ShutdownFlag):
    started = time.perf_counter()
    recommendations = compute_recommendations(spark, settings)
    result = retry_until_done(
        lambda: models_api.replace_recommendations(recommendations),
        is_transient=models_api_transient,
        backoff=Backoff(settings.backoff_initial_seconds, settings.backoff_max_seconds),
        shutdown=shutdown,
        what="write recommendations",
        max_attempts=6,
    )
    logger.info(
        "recommendations written",
        extra={
            "listings": len(recommendations),
            "pairs": sum(len(ids) for ids in recommendations.values()),
            "stored": result.get("listings"),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return recommendations


def run(settings: Settings, shutdown: ShutdownFlag, every: float | None = None) -> int:
    """Run once, or every ``every`` seconds. The Spark session is created on the first
    run that has data and reused afterwards (a JVM start costs seconds)."""
    models_api = ModelsApiClient.from_settings(settings)
    spark = None
    status = 0
    try:
        while True:
            try:
                if not access_log_has_data(settings.access_log_path):
                    logger.info(
                        "access log missing or empty; skipping",
                        extra={"path": str(settings.access_log_path)},
                    )
                else:
                    if spark is None:
                        spark = create_spark_session(settings)
                        # PySpark installs its own SIGINT handler; ours must win.
                        shutdown.install()
                    run_once(spark, settings, models_api, shutdown)
                status = 0
            except Stopping:
                break
            except ModelsApiError as exc:
                logger.error("models-api refused the recommendations", extra={"error": str(exc)})
                status = 1
            except Exception:
                if every is None:
                    raise
                logger.exception("recommendations run failed; will retry next round")
                status = 1
            if every is None or shutdown.wait(every):
                break
    finally:
        if spark is not None:
            spark.stop()
        models_api.close()
    return status
