// swift-tools-version: 6.1
// SegStation: scanner files -> segmentation -> DICOM-SEG, measurements, database, report.
// Layers follow the data flow; see docs/ARCHITECTURE.md. Each target imports only the layers above it.
import PackageDescription

/// DCMTK libraries (Debian `libdcmtk-dev`) and OpenJPEG (`libopenjp2-7-dev`) used by the C++ bridge.
let dcmtkLibraries = [
    "dcmrt", "dcmseg", "dcmfg", "dcmiod", "cmr", "dcmsr", "dcmjpls", "dcmjpeg", "dcmimage", "dcmimgle", "dcmdata",
    "dcmnet", "oflog", "ofstd", "ijg8", "ijg12", "ijg16", "dcmtkcharls", "openjp2", "z",
].map { LinkerSetting.linkedLibrary($0) }

/// The layers that hold the compute loops (DICOM pixels and SEG frames, resampling, inference, lesions, rendering,
/// the pipeline's volume work) are optimised in debug builds too: the test suite runs them on real scans and
/// models, and at -Onone it spends most of its time there.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "SegStation",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "segstation", targets: ["segstation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // issue 17: the priority queue of the watershed split (Lesions).
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // issue 14: the service's HTTP API and its /metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // issue 14: NIOThreadPool runs the HTTP handlers' blocking reads (already resolved through hummingbird).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // issue 14: ServiceTests read docs/openapi.yaml to check real responses against it.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Issue 15 (batch): CSV manifests and summaries.
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // C and C++ at the edges.
        .target(
            name: "CDCMTKBridge",
            cxxSettings: [.define("HAVE_CONFIG_H")],
            linkerSettings: dcmtkLibraries
        ),
        .target(
            name: "CNIfTI",
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m")]
        ),
        // The engine's C kernels (RoiAlign, Winograd transforms) are optimised in debug builds too:
        // the tests run them on real-size maps, and at -O0 they cost the debug test run about a minute.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        // issue 14: uploaded zips of DICOM are read entry by entry (names, types and sizes checked).
        // Issue 15: PostgreSQL as a shared study database through libpq, its own C client (docs/DATABASE.md says why).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // SHA-256 (Core.Digest) from OpenSSL's libcrypto.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

        // Swift layers. Core, at the bottom, holds the rules every layer shares (docs/ARCHITECTURE.md).
        .target(name: "Core", dependencies: ["COpenSSL", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Imaging", dependencies: ["Core"], swiftSettings: optimisedInDebug),
        .target(name: "DICOM", dependencies: ["Core", "Imaging", "CDCMTKBridge", .product(name: "Logging", package: "swift-log")],
                swiftSettings: optimisedInDebug),
        .target(name: "VolumeIO", dependencies: ["Core", "Imaging", "CNIfTI"], swiftSettings: optimisedInDebug),
        .target(name: "Engine", dependencies: ["Core", "CDNNL", "CKernels", .product(name: "Logging", package: "swift-log")], swiftSettings: optimisedInDebug),
        .target(name: "Lesions", dependencies: ["Core", "Imaging", .product(name: "HeapModule", package: "swift-collections")], swiftSettings: optimisedInDebug),
        .target(name: "Inference", dependencies: ["Core", "Imaging"], swiftSettings: optimisedInDebug),
        .target(name: "Reports", dependencies: ["Core", "Imaging", "CCairo"], swiftSettings: optimisedInDebug),
        .target(name: "StudyStore", dependencies: ["Core", "CLibPQ", .product(name: "GRDB", package: "GRDB.swift"),
                                                  .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "Pipeline",
            dependencies: ["Core", "Imaging", "DICOM", "VolumeIO", "Engine", "Inference", "Lesions", "StudyStore", "Reports",
                           .product(name: "Logging", package: "swift-log"), .product(name: "CSV", package: "CSV.swift")],
            // issue 13: the elastix parameter files (Registration/Parameters, docs/REGISTRATION.md).
            resources: [.copy("Registration/Parameters")],
            swiftSettings: optimisedInDebug
        ),
        // issue 14: `segstation serve` (DICOM node, job queue, HTTP API). Swift 6 language mode.
        .target(
            name: "Service",
            dependencies: ["Core", "Pipeline", "DICOM", "StudyStore", "Imaging", "Reports", "CDCMTKBridge", "CArchive",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "segstation",
            dependencies: [
                "Core", "Pipeline", "Service", "Imaging", "DICOM", "VolumeIO", "Engine", "Inference", "Lesions", "StudyStore", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Benchmark programs (not tests): see BENCHMARKS.md.
        .executableTarget(name: "seg-bench", dependencies: ["DICOM", "Imaging"], path: "Benchmarks/seg", exclude: ["run_benchmark.py", "compare_seg.py"]),
        .executableTarget(name: "volumeio-bench", dependencies: ["VolumeIO", "Imaging"], path: "Benchmarks/volumeio",
                          exclude: ["load_dicom.sh", "load_nibabel.py", "load_nifti.sh", "make_ct_series.py"]),
        // TestSupport (Foundation only) gives the benchmark the tests' seeded SplitMix generator.
        .executableTarget(name: "store-bench", dependencies: ["Core", "StudyStore", "TestSupport"], path: "Benchmarks/store"),
        .executableTarget(name: "rtstruct-bench", dependencies: ["DICOM", "Imaging"], path: "Benchmarks/rtstruct", exclude: ["run_benchmark.py"]),
        // Benchmark of the Lesions layer (run through Benchmarks/lesions/bench.py).
        .executableTarget(name: "lesions-bench", dependencies: ["Lesions", "Imaging"], path: "Benchmarks/lesions",
                          exclude: ["bench.py"]),

        // Tests. Conformance tests read ../shared/data (override with SEGSTATION_DATA) and skip with a message when absent.
        // Helpers the process-level tests run as programs (kept out of the product binary).
        .executableTarget(name: "segstation-testkit", dependencies: ["Core", "StudyStore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Tests/TestKit"),
        // Optimised in debug too: its VoxelLoops are the whole-volume counts and sphere painting of the test
        // targets, which stay at -Onone (measured: ~20 s of CPU in a CI run when they ran in the tests' own code).
        .target(name: "TestSupport", dependencies: ["Imaging"], path: "Tests/TestSupport", swiftSettings: optimisedInDebug),
        // The fuzz and abuse suite (issue 11): generators and runner, run by Scripts/test.sh beside the XCTests.
        .executableTarget(name: "segstation-abuse", dependencies: ["TestSupport", "Core"], path: "Tests/Abuse"),
        .testTarget(name: "CoreTests", dependencies: ["Core"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Core", "Imaging", "TestSupport"]),
        // DICOMTests and LesionsTests check real volumes voxel by voxel in the tests' own code (maps, checksums,
        // masks of whole BraTS scans): optimised in debug too (measured: 127 s of test time at -Onone, 34 s at -O).
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "VolumeIO", "Imaging", "TestSupport"], exclude: ["Expected", "RT/Fixtures"],
                    swiftSettings: optimisedInDebug),
        .testTarget(name: "VolumeIOTests", dependencies: ["Core", "VolumeIO", "CNIfTI", "Imaging", "TestSupport"], exclude: ["Expected", "Fixtures"]),
        .testTarget(name: "EngineTests", dependencies: ["Core", "Engine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LesionsTests", dependencies: ["Lesions", "Imaging", "VolumeIO", "TestSupport"], exclude: ["Expected"],
                    swiftSettings: optimisedInDebug),
        .testTarget(name: "InferenceTests", dependencies: ["Core", "Inference", "Imaging", "TestSupport"], exclude: ["Expected"]),
        .testTarget(name: "ReportsTests", dependencies: ["Core", "Reports", "Imaging", "VolumeIO", "TestSupport"], exclude: ["Expected"]),
        .testTarget(name: "StudyStoreTests", dependencies: ["Core", "StudyStore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PipelineTests", dependencies: ["Core", "Pipeline", "Imaging", "DICOM", "VolumeIO", "StudyStore", "TestSupport", "Reports", "Engine", "Inference", "Lesions"], exclude: ["Fixtures", "Expected"]),
        .testTarget(name: "ServiceTests", dependencies: ["Core", "Service", "Pipeline", "StudyStore", "TestSupport", "CArchive", .product(name: "Yams", package: "Yams")]),
        // Process-level tests of the built `segstation` binary (one runner: TestSupport.ProcessRunner), and
        // in-process tests of the CLI's formatting and logging set-up.
        .testTarget(name: "EndToEndTests", dependencies: ["segstation", "Core", "StudyStore", "TestSupport", "VolumeIO", "Imaging", "DICOM", "Pipeline",
                                                          .product(name: "Logging", package: "swift-log"),
                                                          .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    cxxLanguageStandard: .cxx17
)
