"""The enforcement record of each case: the register (filing, parties, nodes), case numbers, deadline clocks, the
case funds ledger, the party's lookup by query code, notices to parties (subscriptions, outbox), bulk import."""
