import AirlockCore
import ArgumentParser
import Foundation

/// Reads a simulation stream from a file (or standard input, `-`) in chunks of 1 MiB and runs it
/// through a simulator, for `policy simulate` and `bench simulate`.
///
/// Pipelined (the default), one thread reads and parses the next chunks while the caller's
/// thread simulates the records of the previous ones: the simulation must see records in order,
/// so it runs on one thread, but reading JSON does not have to wait for it. Triage (validation
/// and classification), which needs no history either, is done by the reading thread while the
/// simulating one has batches waiting, and by the simulating one otherwise. Sequential, both
/// happen on the caller's thread, one chunk after the other, and the time of each is measured
/// apart.
enum StreamFile {
    /// What a run read and how long it took.
    struct Run {
        var records = 0
        var bytes = 0
        /// Wall-clock seconds of the whole run, from opening the file to the last decision.
        var seconds = 0.0
        /// Seconds spent reading and parsing (on the reading thread when pipelined, with the
        /// triage it did).
        var parseSeconds = 0.0
        /// Seconds spent simulating (on the caller's thread).
        var simulateSeconds = 0.0
    }

    /// A stream that cannot be read or simulated.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let chunkSize = 1 << 20

    /// Runs the stream at `path` through `simulator`.
    ///
    /// - Throws: ``Failure`` (a file that cannot be read, or a bad line, as `PATH:LINE: …`).
    static func run(_ path: String, through simulator: inout Simulator, pipelined: Bool = true) throws -> Run {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        let name = path == "-" ? "standard input" : path
        let started = now()
        var run = pipelined ? try runPipelined(fd, name, &simulator) : try runSequential(fd, name, &simulator)
        run.seconds = now() - started
        return run
    }

    private static func runSequential(_ fd: Int32, _ name: String, _ simulator: inout Simulator) throws -> Run {
        var run = Run()
        var parser = StreamParser()
        var records: [StreamRecord] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let start = now()
            let count = try readChunk(fd, buffer, name)
            do {
                if count == 0 {
                    try parser.finish(into: &records)
                } else {
                    try parser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), into: &records)
                }
                let parsed = now()
                run.parseSeconds += parsed - start
                try simulator.run(records)
                run.simulateSeconds += now() - parsed
            } catch {
                throw Failure(description: "\(name): \(error)")
            }
            run.bytes += count
            run.records += records.count
            records.removeAll(keepingCapacity: true)
            if count == 0 { return run }
        }
    }

    private static func runPipelined(_ fd: Int32, _ name: String, _ simulator: inout Simulator) throws -> Run {
        let queue = BatchQueue(capacity: 4)
        let engine = simulator.engine
        let reader = Thread {
            defer { queue.exit() }
            var parser = StreamParser()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
            defer { buffer.deallocate() }
            var seconds = 0.0
            var bytes = 0
            while true {
                let start = now()
                // The batches simulated so far are released here, off the simulating thread.
                queue.releaseSpent()
                var records: [StreamRecord] = []
                let count: Int
                do {
                    count = try readChunk(fd, buffer, name)
                    if count == 0 {
                        try parser.finish(into: &records)
                    } else {
                        try parser.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), into: &records)
                    }
                    // Validation and classification need no history: done here, off the
                    // simulating thread, while it has batches waiting. When it waits for this
                    // thread instead (a stream of cheap decisions), it triages them itself.
                    if queue.waiting > 0 { engine.triage(&records) }
                } catch let failure as Failure {
                    queue.finish(failure: failure, parseSeconds: seconds, bytes: bytes)
                    return
                } catch {
                    queue.finish(failure: Failure(description: "\(name): \(error)"), parseSeconds: seconds, bytes: bytes)
                    return
                }
                seconds += now() - start
                bytes += count
                if !records.isEmpty, !queue.put(records) { return }
                if count == 0 {
                    queue.finish(failure: nil, parseSeconds: seconds, bytes: bytes)
                    return
                }
            }
        }
        reader.stackSize = 1 << 22
        reader.start()
        var run = Run()
        while let batch = queue.take() {
            let start = now()
            do {
                try simulator.run(batch)
            } catch {
                // The reader stops at its next batch; it must be gone before the file is closed.
                queue.cancel()
                queue.waitForExit()
                throw Failure(description: "\(name): \(error)")
            }
            run.simulateSeconds += now() - start
            run.records += batch.count
            queue.recycle(batch)
        }
        let end = queue.ending
        if let failure = end.failure { throw failure }
        run.parseSeconds = end.parseSeconds
        run.bytes = end.bytes
        return run
    }

    private static func readChunk(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ name: String) throws -> Int {
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw Failure(description: "cannot read \(name): \(String(cString: strerror(errno)))")
        }
    }

    /// Seconds on the monotonic clock.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// Parsed batches handed from the reading thread to the simulating one, at most `capacity`
/// waiting at a time.
private final class BatchQueue: @unchecked Sendable {
    struct Ending {
        var failure: StreamFile.Failure?
        var parseSeconds = 0.0
        var bytes = 0
    }

    private let condition = NSCondition()
    private let capacity: Int
    private var batches: [[StreamRecord]] = []
    private var spent: [[StreamRecord]] = []
    private var finished = false
    private var cancelled = false
    private var exited = false
    private var end = Ending()

    init(capacity: Int) { self.capacity = capacity }

    /// Adds a batch, waiting while the queue is full; false when the consumer gave up.
    func put(_ batch: [StreamRecord]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch, waiting for it; `nil` once the producer finished and all were taken.
    func take() -> [StreamRecord]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        guard !batches.isEmpty else { return nil }
        let batch = batches.removeFirst()
        condition.broadcast()
        return batch
    }

    /// Batches waiting to be taken.
    var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return batches.count
    }

    /// Hands a simulated batch back, for the producer to release.
    func recycle(_ batch: [StreamRecord]) {
        condition.lock()
        defer { condition.unlock() }
        spent.append(batch)
    }

    /// Releases the batches handed back (on the calling thread).
    func releaseSpent() {
        condition.lock()
        let released = spent
        spent = []
        condition.unlock()
        withExtendedLifetime(released) {}
    }

    func finish(failure: StreamFile.Failure?, parseSeconds: Double, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        finished = true
        end = Ending(failure: failure, parseSeconds: parseSeconds, bytes: bytes)
        condition.broadcast()
    }

    /// The consumer stops: the producer's next `put` returns false.
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        batches.removeAll()
        condition.broadcast()
    }

    /// The producer's thread is about to end.
    func exit() {
        condition.lock()
        defer { condition.unlock() }
        exited = true
        condition.broadcast()
    }

    /// Waits until the producer's thread ended.
    func waitForExit() {
        condition.lock()
        defer { condition.unlock() }
        while !exited { condition.wait() }
    }

    /// How the producer ended (call after `take` returned `nil`).
    var ending: Ending {
        condition.lock()
        defer { condition.unlock() }
        return end
    }
}
