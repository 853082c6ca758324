from marketplace_batch.access_log import AccessLog, PageViewState, access_log_line


def view(offset, user, listing, key="page-views:0"):
    return (key, offset, user, listing)


class AccessLogLineTest:
    def test_line_tab_separated_anonymous_as_dash(self):
        assert access_log_line(42, 7) == "42\t7\n"
        assert access_log_line(None, 7) == "-\t7\n"


class AccessLogTest:
    def test_append_writes_lines_and_records_offsets(self, tmp_path):
        log = AccessLog(tmp_path / "data" / "access.log")
        assert log.append([view(0, 1, 10), view(1, None, 11)]) == 2
        assert log.path.read_text() == "1\t10\n-\t11\n"
        state = PageViewState.load(log.state_path)
        assert state.log_offsets == {"page-views:0": 1}
        assert state.log_size == log.path.stat().st_size

    def test_replayed_records_not_appended_twice(self, tmp_path):
        log = AccessLog(tmp_path / "access.log")
        log.append([view(0, 1, 10), view(1, 2, 10)])
        reopened = AccessLog(tmp_path / "access.log")  # a restart
        assert reopened.append([view(0, 1, 10), view(1, 2, 10), view(2, 3, 10)]) == 1
        assert reopened.path.read_text().splitlines() == ["1\t10", "2\t10", "3\t10"]

    def test_crash_after_append_before_state_write_truncates_tail(self, tmp_path):
        log = AccessLog(tmp_path / "access.log")
        log.append([view(0, 1, 10)])
        with open(log.path, "a") as handle:  # the append of offsets 1-2 hit the disk...
            handle.write("2\t10\n3\t10\n")  # ...but the process died before its state
        restarted = AccessLog(tmp_path / "access.log")
        restarted.append([view(1, 2, 10), view(2, 3, 10)])
        assert restarted.path.read_text().splitlines() == ["1\t10", "2\t10", "3\t10"]

    def test_partitions_tracked_independently(self, tmp_path):
        log = AccessLog(tmp_path / "access.log")
        log.append([view(5, 1, 10, "page-views:0"), view(5, 2, 11, "page-views:1")])
        assert log.append([view(5, 1, 10, "page-views:0"), view(6, 2, 12, "page-views:1")]) == 1

    def test_log_truncated_by_operator_appends_continue(self, tmp_path):
        log = AccessLog(tmp_path / "access.log")
        log.append([view(0, 1, 10)])
        log.path.write_text("")  # rotated away
        log.append([view(1, 2, 10)])
        assert log.path.read_text() == "2\t10\n"
