// swift-tools-version: 6.1
// SegStation: scanner files -> segmentation -> DICOM-SEG, measurements, database, report.
// Layers follow the data flow; see docs/ARCHITECTURE.md. Each target imports only the layers above it.
import PackageDescription

/// DCMTK libraries (Debian `libdcmtk-dev`) and OpenJPEG (`libopenjp2-7-dev`) used by the C++ bridge.
let dcmtkLibraries = [
    "dcmseg", "dcmfg", "dcmiod", "cmr", "dcmsr", "dcmjpls", "dcmjpeg", "dcmimage", "dcmimgle", "dcmdata",
    "oflog", "ofstd", "ijg8", "ijg12", "ijg16", "dcmtkcharls", "openjp2", "z",
].map { LinkerSetting.linkedLibrary($0) }

let package = Package(
    name: "SegStation",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "segstation", targets: ["segstation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Issue 15 (batch): CSV manifests and summaries.
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        // Issue 15: PostgreSQL as a shared study database (docs/DATABASE.md says why postgres-nio).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),

        // Swift layers.
        .target(name: "Imaging"),
        .target(name: "DICOM", dependencies: ["Imaging", "CDCMTKBridge", .product(name: "Crypto", package: "swift-crypto"),
                                     .product(name: "Logging", package: "swift-log")]),
        .target(name: "VolumeIO", dependencies: ["Imaging", "CNIfTI"]),
        .target(name: "Engine", dependencies: ["CDNNL"]),
        .target(name: "Lesions", dependencies: ["Imaging"]),
        .target(name: "Inference", dependencies: ["Imaging"]),
        .target(name: "Reports", dependencies: ["Imaging", "CCairo", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "StudyStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
                                                  .product(name: "PostgresNIO", package: "postgres-nio")]),
        .target(
            name: "Pipeline",
            dependencies: ["Imaging", "DICOM", "VolumeIO", "Engine", "Inference", "Lesions", "StudyStore", "Reports",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "CSV", package: "CSV.swift")]
        ),
        .executableTarget(
            name: "segstation",
            dependencies: [
                "Pipeline", "Imaging", "DICOM", "VolumeIO", "Engine", "Inference", "Lesions", "StudyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Benchmark programs (not tests): see BENCHMARKS.md.
        .executableTarget(name: "seg-bench", dependencies: ["DICOM", "Imaging"], path: "Benchmarks/seg", exclude: ["run_benchmark.py", "compare_seg.py"]),
        .executableTarget(name: "volumeio-bench", dependencies: ["VolumeIO", "Imaging"]),
        .executableTarget(name: "store-bench", dependencies: ["StudyStore"], path: "Benchmarks/store"),
        // Benchmark of the Lesions layer (run through Benchmarks/lesions/bench.py).
        .executableTarget(name: "lesions-bench", dependencies: ["Lesions", "Imaging"], path: "Benchmarks/lesions",
                          exclude: ["bench.py"]),

        // Tests. Conformance tests read ../shared/data (override with SEGSTATION_DATA) and skip with a message when absent.
        .target(name: "TestSupport", dependencies: ["Imaging"], path: "Tests/TestSupport"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "VolumeIO", "Imaging", "TestSupport", .product(name: "Crypto", package: "swift-crypto")], exclude: ["Expected"]),
        .testTarget(name: "VolumeIOTests", dependencies: ["VolumeIO", "CNIfTI", "Imaging", "TestSupport"], exclude: ["Expected", "Fixtures"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LesionsTests", dependencies: ["Lesions", "Imaging", "VolumeIO", "TestSupport"], exclude: ["Expected"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "Imaging", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Imaging", "VolumeIO", "TestSupport"], exclude: ["Expected"]),
        .testTarget(name: "StudyStoreTests", dependencies: ["StudyStore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Imaging", "DICOM", "VolumeIO", "StudyStore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "VolumeIO", "Imaging"]),
    ],
    cxxLanguageStandard: .cxx17
)
