import Foundation
import TestSupport
import XCTest

/// The Dockerfile (issue 15) cannot be built here (no Docker engine on the development machines or CI), so its
/// package lists are checked against what the built program needs: every shared library `segstation` names
/// (ELF NEEDED, from `objdump -p`) must come from a Debian package that the runtime stage installs, that one of
/// those packages depends on, or that debian:12-slim already holds (libc6, libgcc-s1, libstdc++6: apt needs them).
/// Swift's own runtime libraries are left out: the image links them statically (`--static-swift-stdlib`).
/// Every `-dev` package of Scripts/install-deps.sh's product list must be in the build stage.
final class ContainerFileTests: ProcessTestCase {
    static let inSlimBase: Set<String> = ["libc6", "libgcc-s1", "libstdc++6"]
    static let swiftRuntime = ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "ld-linux"]

    /// The words of the `apt-get install` command in the stage that starts at the `which`th FROM (0-based).
    static func installedPackages(dockerfile: String, stage which: Int) throws -> Set<String> {
        let stages = dockerfile.components(separatedBy: "\nFROM ").dropFirst()
        let stage = try XCTUnwrap(stages.dropFirst(which).first, "Dockerfile has no stage \(which)")
        let joined = stage.replacingOccurrences(of: "\\\n", with: " ")
        let line = try XCTUnwrap(joined.split(separator: "\n").first { $0.contains("apt-get install") }, "no apt-get install in stage \(which)")
        let install = try XCTUnwrap(line.range(of: "--no-install-recommends"))
        let words = line[install.upperBound...].prefix { $0 != "&" }.split(separator: " ")
        return Set(words.map(String.init))
    }

    /// `tool arguments`' standard output, or nil when it exits with an error.
    func output(of tool: String, _ arguments: [String]) throws -> String? {
        let sbin = URL(fileURLWithPath: "/sbin").appendingPathComponent(tool)
        let path = try XCTUnwrap(ProcessRunner.tool(tool) ?? (FileManager.default.isExecutableFile(atPath: sbin.path) ? sbin : nil),
                                 "\(tool) not found")
        let outcome = try ProcessRunner.run(path, arguments)
        return outcome.status == 0 ? outcome.stdout : nil
    }

    /// The Debian package that holds the library file `soname` resolves to.
    func package(ofLibrary soname: String) throws -> String {
        let cache = try XCTUnwrap(try output(of: "ldconfig", ["-p"]))
        let entry = try XCTUnwrap(cache.split(separator: "\n").first { $0.hasPrefix("\t\(soname) ") && $0.contains("x86-64") },
                                  "\(soname) is not in ldconfig's cache")
        let path = String(try XCTUnwrap(entry.components(separatedBy: " => ").last))
        for candidate in [path, URL(fileURLWithPath: path).resolvingSymlinksInPath().path, path.replacingOccurrences(of: "/lib/", with: "/usr/lib/")] {
            if let found = try output(of: "dpkg", ["-S", candidate]), let name = found.split(separator: ":").first { return String(name) }
        }
        throw XCTSkip("no Debian package owns \(path)")
    }

    func testRuntimeStageInstallsEveryLibraryTheProgramLoads() throws {
        guard ProcessRunner.tool("objdump") != nil, ProcessRunner.tool("dpkg") != nil else { throw XCTSkip("objdump or dpkg not found") }
        let dockerfile = try String(contentsOf: TestData.repositoryRoot.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let runtime = try Self.installedPackages(dockerfile: dockerfile, stage: 1)
        var provided = runtime.union(Self.inSlimBase)
        for listed in runtime {
            // Packages apt installs with the listed ones (Depends, without versions or alternatives' rest);
            // known only for packages installed on this machine.
            guard let depends = try output(of: "dpkg-query", ["-W", "-f=${Depends}", listed]) else { continue }
            for clause in depends.split(separator: ",") {
                if let name = clause.split(separator: "|").first?.split(separator: " ").first { provided.insert(String(name)) }
            }
        }
        let headers = try XCTUnwrap(try output(of: "objdump", ["-p", try SegStationCLI.binary().path]))
        let needed = headers.split(separator: "\n").filter { $0.contains("NEEDED") }.compactMap { $0.split(separator: " ").last.map(String.init) }
        XCTAssertTrue(needed.contains("libpq.so.5"), "the program links libpq: \(needed)")
        var checked = 0
        for soname in needed where !Self.swiftRuntime.contains(where: { soname.hasPrefix($0) }) {
            let owner = try package(ofLibrary: soname)
            XCTAssertTrue(provided.contains(owner), "\(soname) comes from \(owner), which the Dockerfile's runtime stage does not install")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 20)
    }

    func testBuildStageInstallsTheDevelopmentPackages() throws {
        let root = TestData.repositoryRoot
        let dockerfile = try String(contentsOf: root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let build = try Self.installedPackages(dockerfile: dockerfile, stage: 0)
        let script = try String(contentsOf: root.appendingPathComponent("Scripts/install-deps.sh"), encoding: .utf8)
        // The product's packages: install-deps.sh's list before its test-only tools.
        let product = try XCTUnwrap(script.components(separatedBy: "# Test-only tools").first)
        let dev = product.split(separator: "\n").compactMap { line -> String? in
            let word = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
            return word.flatMap { $0.hasSuffix("-dev") ? $0 : nil }
        }
        XCTAssertTrue(dev.contains("libpq-dev"), "\(dev)")
        for package in dev { XCTAssertTrue(build.contains(package), "\(package) is in install-deps.sh but not in the Dockerfile's build stage") }
    }
}
