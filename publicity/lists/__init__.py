"""The public lists and their legal lifecycles: 失信被执行人名单 (defaulters, with correction requests and import),
限制消费令 (restrictions), 终本案件 (terminated this round), 悬赏公告 (bounties), the exposure board, and what their
searches share (query reading, name keys, cursors)."""
