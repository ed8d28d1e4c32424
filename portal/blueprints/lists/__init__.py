"""The public lists (失信名单, 限制消费令, 终本案件, 悬赏公告, 曝光台), the search over them, and the staff pages that
keep them."""
