import AirlockCore
import AirlockStore
import Foundation
import Logging

extension Gateway {
    /// Follows what other instances sharing the database commit (``Store/changeFeed()``), until
    /// cancelled: a changed mutation wakes this instance's long polls on it; a changed setting
    /// (the active policy, the freeze, the shadow policy) is read again, so that it is in force
    /// here within moments of being set elsewhere; a `resync` does both for everything. Returns at
    /// once for a store without other writers.
    ///
    /// The counters behind `system.queue_depth` and `system.rollback_rate_1h` count the steps
    /// this instance commits; the others' are read from the store: the open reviews every
    /// `activityRefresh` (a count over the open reviews), the executions and rollbacks of the
    /// last hour every 30th time (a count over the hour's moves, which at thousands a second is
    /// too much to run every second; a rate over an hour moves slowly).
    public func followStoreChanges(activityRefresh: Duration = .seconds(1)) async {
        guard let feed = store.changeFeed() else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.refreshActivity(every: activityRefresh) }
            for await notice in feed {
                switch notice {
                case .mutation(let id):
                    notifier.announce(id)
                case .settings:
                    await reloadSettings()
                case .resync:
                    notifier.announceEveryone()
                    await reloadSettings()
                }
            }
            group.cancelAll()
        }
    }

    /// Reads the activity counters from the store again and again, until cancelled.
    private func refreshActivity(every period: Duration) async {
        var round = 0
        while true {
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
            round += 1
            do {
                if round.isMultiple(of: 30) { try await seedActivity() } else { try await refreshOpenReviews() }
            } catch {
                logger.warning(
                    "reading the open reviews and rollbacks of every instance failed; retrying",
                    metadata: ["error": "\(error)"])
            }
        }
    }

    /// Reads the active policy, the freeze and the shadow policy again from the store.
    func reloadSettings() async {
        do {
            if let current = try await store.activePolicyVersion(), current.hash != activePack?.version {
                let pack = try PackText.load(current.text)
                activate(pack)
                logger.info("policy activated by another instance", metadata: ["version": "\(current.hash)"])
            }
            try await loadFreeze()
            try await loadShadow()
        } catch {
            logger.warning("reading the settings another instance changed failed", metadata: ["error": "\(error)"])
        }
    }
}
