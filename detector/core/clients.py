"""The catalog of S3 clients: how each writes its user agent, and the release that made SigV4 its S3 default.

One row per client family, read from the SDKs' own sources. A row names the product tokens its SDK writes before
the `/` and the range of versions that are this family (`aws-sdk-js/2.x` is the JS SDK v2, `aws-sdk-js/3.x` the
v3), so an agent is matched by product and version. When an agent names several products, the row listed first
wins: the library that signs comes before the tools built on it (botocore before the CLI and boto3), and an SDK is
found behind any wrapper's prefix (Terraform, Hadoop, SageMaker). The queries receive the catalog as a VALUES
table (`queries/_agent_clients.sql`); the README's table is printed from the same rows.

Sources named in the rows:
  POST  C. Watcham, "Finding S3 API requests from previous versions of the AWS CLI and SDKs"
        (2018, updated 2019), https://www.deplication.net/2018/10/finding-s3-api-requests-from-previous.html
  AWS   "Specifying the Signature Version in Request Authentication",
        https://docs.aws.amazon.com/AmazonS3/latest/API/specify-signature-version.html
        (2019 copy: github.com/awsdocs/amazon-s3-developer-guide doc_source/UsingAWSSDK.md)
  FIELD ../shared/REFERENCE.md section 10: user agents and signing of real pinned releases.
  Files are cited as `owner/repo path @ tag or commit`; UNVERIFIED marks what no primary source confirmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detector.core.sql import quote_literal

VERSION_PARTS = 4
"""Versions compare on their first four numeric parts: .NET and PowerShell use four."""

EVERY_RELEASE = "every release"
"""`sigv4_default` of a family that signs S3 requests with SigV4 by default in every release: never outdated."""

NO_RELEASE = "no release"
"""`sigv4_default` of a family none of whose releases signs SigV4 by default where SigV2 works: always outdated."""

TOKEN_START = r"(?:^|[\t \[(])"
"""A product token starts the agent or follows a space, tab, `[` (S3 data events wrap agents in brackets) or `(`.

Spelled out rather than `\\s`, which Trino's regex library and RE2 (DuckDB) define differently."""
VERSION = r"([0-9]+(?:\.[0-9]+)*)"
"""The numeric part of the version after the `/`: `2.0.0dev4` is read as 2.0.0, `unknown-version` not at all."""


@dataclass(frozen=True)
class Client:
    name: str
    products: tuple[str, ...]
    """The product names the SDK writes before the `/`, matched case-insensitively."""
    sigv4_default: str
    """The first release that signs S3 requests with SigV4 by default, or EVERY_RELEASE or NO_RELEASE."""
    upgrade: str
    """What the owner changes when this client signs SigV2 or is outdated."""
    formats: str
    """Where the SDK writes its user agent, per major version: the files, cited."""
    source: str
    """Why `sigv4_default` is what it is: the sources, and which we chose where they disagree."""
    since: str = "0"
    """The first version of the products that is this family."""
    before: str | None = None
    """The first version of the products that is no longer this family (None: no end)."""

    @property
    def pattern(self) -> str:
        """RE2/Java regex: the first of the products with a version in the agent; group 1 is the version."""
        names = "|".join(name.replace(".", r"\.") for name in self.products)
        return rf"(?i){TOKEN_START}(?:{names})/{VERSION}"

    @property
    def threshold(self) -> str | None:
        """`sigv4_default` when it is a version: what an agent's version is compared with."""
        return None if self.sigv4_default in (EVERY_RELEASE, NO_RELEASE) else self.sigv4_default


CATALOG: tuple[Client, ...] = (
    Client(
        "Botocore",
        ("Botocore",),
        "1.5.71",
        "upgrade botocore to ≥ 1.5.71 (aws-cli ≥ 1.11.108 and boto3 ≥ 1.4.6 bring it), or set "
        "s3.signature_version = s3v4 in ~/.aws/config",
        "`Botocore/<v> Python/<v> <OS>/<release>` from boto/botocore botocore/session.py Session.user_agent() "
        "@ 1.5.71 (ea09b693); boto3 moves it behind its own token, `Boto3/<v> … Botocore/<v>` "
        "(boto/boto3 boto3/session.py @ 1.4.5, 25756f98); aws-cli v1 appends `botocore/<v>` "
        "(aws/aws-cli awscli/clidriver.py @ 1.11.108, 01bff32d); the old SageMaker SDK prefixes "
        "`AWS-SageMaker-Python-SDK/<v> … Boto3/<v> Botocore/<v>` (aws/sagemaker-python-sdk "
        "src/sagemaker/user_agent.py @ ec9552c2); UA 2.0 from 1.30.0 keeps the token at the end "
        "(botocore/useragent.py @ 1.30.0, b345b7f4).",
        'POST and AWS agree; CHANGELOG.rst @ 1.5.71: "All S3 requests will now use SigV4 by default" '
        "(client.py _resolve_signature_version returns s3v4); FIELD: 1.5.70 signs SigV2. Listed first: botocore "
        "signs for boto3, aws-cli v1 and SageMaker, and boto3 1.4.5 allows botocore>=1.5.0,<1.6.0 (setup.py), so "
        "Boto3/1.4.5 on Botocore/1.5.71 signs SigV4. Presigned URLs still default to SigV2 in the old regions "
        "(_default_s3_presign_to_sigv2).",
    ),
    Client(
        "aws-cli",
        ("aws-cli",),
        "1.11.108",
        "upgrade aws-cli to ≥ 1.11.108 (or v2), or run aws configure set default.s3.signature_version s3v4",
        "`aws-cli/<v> Python/<v> <OS>/<release> botocore/<v>` in v1 (aws/aws-cli awscli/clidriver.py "
        "_set_user_agent_for_session @ 1.11.108); v2 writes no botocore token: `aws-cli/<v> Python/<v> <OS>/<rel> "
        "exe/<machine> prompt/off command/<svc>.<op>` (clidriver.py @ 2.13.0, f6c820e8), from 2.15.51 "
        "`aws-cli/<v> md/awscrt#<v> ua/2.1 os/… md/command#…` (awscli/botocore/useragent.py, v2 branch 73fb33bb).",
        "POST and AWS agree; 1.11.108 pins botocore==1.5.71 and 1.11.107 botocore==1.5.70 (setup.py); FIELD: "
        "1.11.107 signs SigV2, 1.11.108 SigV4. v1 agents carry botocore, which decides; this row judges v2, whose "
        "every release is past 1.11.108.",
    ),
    Client(
        "Boto3",
        ("Boto3",),
        "1.4.6",
        "upgrade boto3 to ≥ 1.4.6 (it requires botocore ≥ 1.6.0), or pass Config(signature_version='s3v4')",
        "`Boto3/<v> Python/<v> <OS>/<release> Botocore/<v> [Resource]` (boto/boto3 boto3/session.py @ 1.4.5); "
        "from botocore 1.30.0 `Boto3/<v> md/Botocore#<v> ua/2.0 os/… lang/python#… [m/…] cfg/retry-mode#… "
        "Botocore/<v>` (botocore/useragent.py @ 1.30.0); SageMaker 2.x adds `lib/AWS-SageMaker-Python-SDK#<v>` "
        "(sagemaker user_agent.py, indexed).",
        "POST and AWS name 1.4.6, the first boto3 that requires botocore ≥ 1.6.0 (setup.py @ 1.4.6; its "
        "CHANGELOG names no signing change). Only for agents without a Botocore token, which decides.",
    ),
    Client(
        "Boto",
        ("Boto",),
        NO_RELEASE,
        "move to boto3; until then set use-sigv4 = True under [s3] in the boto config (or S3_USE_SIGV4=True)",
        "`Boto/<v> Python/<v> <OS>/<release>` (boto/boto boto/__init__.py UserAgent @ 2.49.0, 8fac1878; "
        "connection.py overwrites any custom User-Agent).",
        "AWS names 2.49.0 as the version to upgrade to, but no boto 2 release defaults to SigV4 where SigV2 "
        "works: in 2.49.0 S3Connection signs SigV2 (HmacAuthV1Handler) for s3.amazonaws.com and the old regions "
        "unless S3_USE_SIGV4 or [s3] use-sigv4 is set (boto/auth.py detect_potential_s3sigv4, "
        "boto/s3/connection.py @ 2.49.0; their diff from 2.48.0 is empty). FIELD: 2.49.0 signs SigV2. We follow "
        "the code: every boto is outdated, 2.49.0 included.",
    ),
    Client(
        "AWSPowerShell",
        ("AWSPowerShell", "AWSPowerShell.NetCore", "AWSPowerShell.Common"),
        "3.3.0.0",
        "upgrade AWSPowerShell to ≥ 3.3.0.0 (or move to the AWS.Tools modules)",
        "`AWSPowerShell[.NetCore]/<module v> .NET_Runtime/… OS/… WindowsPowerShell/<v>` replaces the .NET agent "
        "(aws/aws-tools-for-powershell modules/AWSPowerShell/Utils/Utils.cs SetAWSPowerShellUserAgent @ c7d880f4; "
        "aws/aws-sdk-net InternalSDKUtils.cs BuildCustomUserAgentString @ 35f1f3dc); the AWS.Tools modules write "
        "`AWSPowerShell.Common/<v> ua/2.0 os/… md/aws-sdk-dotnet-core#…` (Utils.cs `#elif MODULAR`, indexed).",
        "POST says 3.1.10.0, AWS 2019 3.3.99, AWS now 3.3.0.0: we take the current AWS page. The module version "
        "follows the .NET SDK bundle's; the bundle that flipped the default is UNVERIFIED.",
    ),
    Client(
        "aws-sdk-dotnet",
        (
            "aws-sdk-dotnet",
            "aws-sdk-dotnet-35",
            "aws-sdk-dotnet-45",
            "aws-sdk-dotnet-coreclr",
            "aws-sdk-dotnet-netstandard",
        ),
        "3.1.10.0",
        "upgrade AWSSDK.S3 to ≥ 3.1.10.0, or set AWSConfigsS3.UseSignatureVersion4 = true",
        "`aws-sdk-dotnet-<platform>/<AWSSDK.S3 v> aws-sdk-dotnet-core/<core v> <framework> OS/<os> <custom>` "
        "(aws/aws-sdk-net sdk/src/Core/Amazon.Util/Internal/InternalSDKUtils.cs BuildUserAgentString @ 35f1f3dc; "
        "the platform is 35 or 45 in _bcl/InternalSDKUtils.bcl.cs @ 4c5cc8b2, coreclr in "
        "_coreclr/InternalSDKUtils.coreclr.cs @ a82daab2, coreclr or netstandard in "
        "_netstandard/InternalSDKUtils.netstandard.cs, plain aws-sdk-dotnet in SDK v2); from 3.7.300 "
        "`aws-sdk-dotnet-coreclr/<v> ua/2.0 os/… lang/… md/aws-sdk-dotnet-core#<v> api/S3#<v>` (v4: ua/2.1).",
        "POST and AWS name 3.1.10. The agent carries the AWSSDK.S3 package version (AmazonS3Config.cs passes it "
        "to BuildUserAgentString), while 3.1.10.0 was an SDK bundle (SDK.CHANGELOG.md: bundle 3.1.10.0, "
        "2015-09-03, shipped S3 3.1.2.0; the S3 package reached 3.1.10.0 on 2016-09-13, bundle 3.1.100.0). "
        "Compared with the package, packages before September 2016 count as outdated: conservative, since the "
        "package that flipped UseSignatureVersion4 to true is UNVERIFIED (no changelog entry; a maintainer wrote "
        '"Sigv4 is now the default" on 2015-10-23, aws/aws-sdk-net#142). Desktop and .NET Core builds only: '
        "AWSConfigs.S3.cs sets `_useSignatureVersion4 = true` under `#if BCL || CORECLR`.",
    ),
    Client(
        "aws-sdk-dotnet-pcl",
        ("aws-sdk-dotnet-pcl", "aws-sdk-dotnet-portable", "aws-sdk-dotnet-winrt", "aws-sdk-dotnet-wp", "aws-sdk-unity"),
        NO_RELEASE,
        "set AWSConfigsS3.UseSignatureVersion4 = true before creating the S3 client, or move to a .NET Standard "
        "build of AWSSDK.S3, which signs SigV4 by default",
        "the legacy .NET format with the portable, Xamarin, Windows Store, Windows Phone and Unity base names "
        "(aws/aws-sdk-net _pcl/InternalSDKUtils.pcl.cs @ 24a7df22, _portable/InternalSDKUtils.portable.cs "
        "@ 10557610, _winrt/InternalSDKUtils.winrt.cs @ 680163cf, _wp8/InternalSDKUtils.wp8.cs @ 10557610, "
        "_unity/InternalSDKUtils.unity.cs @ 6b07c951; Unity writes `aws-sdk-core/` for the core).",
        "These builds never defaulted to SigV4: AWSConfigs.S3.cs sets `_useSignatureVersion4 = true` only "
        "`#if BCL || CORECLR` and false otherwise, and S3Signer then signs SigV2 where SigV2 works. Their "
        "successor, the .NET Standard build, is the aws-sdk-dotnet row.",
    ),
    Client(
        "aws-sdk-java",
        ("aws-sdk-java",),
        "1.11.201",
        "upgrade aws-sdk-java to ≥ 1.11.201, or move to the Java SDK v2",
        "`aws-sdk-java/<v> <os.name>/<os.version> <vm name>/<vm version>[/<java version> | java/<v> vendor/<v>]` "
        "(aws/aws-sdk-java aws-java-sdk-core VersionInfoUtils.java @ 79f47803 and the userAgentTemplate of "
        "awssdk_config_default.json @ b26560b3; the `java/… vendor/…` template's commit is UNVERIFIED); a client "
        "prefix comes first, comma-joined: `Hadoop 3.3.4, aws-sdk-java/1.12.262 …` (RuntimeHttpUtils.getUserAgent; "
        "apache/hadoop S3AUtils.java initUserAgent @ 7c58cfea).",
        "POST says 1.11.x (comparator 1.11.0); AWS now names 1.11.201: the exact, later release. Its CHANGELOG "
        "entry names no signing change, so the release that switched is UNVERIFIED; 1.11.201 is the conservative "
        "claim.",
        before="2",
    ),
    Client(
        "aws-sdk-java-v2",
        ("aws-sdk-java",),
        EVERY_RELEASE,
        "the Java SDK v2 signs SigV4 by default: SigV2 under this agent comes from a signer configured outside "
        "the SDK's defaults or a presigned URL made elsewhere",
        "`aws-sdk-java/2.<v> <os>/<v> <vm>/<v> Java/<v> vendor/<v> io/… http/… cfg/retry-mode/…` (aws/aws-sdk-java-v2 "
        "SdkUserAgent and ApplyUserAgentStage, indexed); UA 2.1 `aws-sdk-java/<v> md/io#… md/http#… ua/2.1 os/… "
        "lang/java#… m/…` (aws/aws-sdk-java-v2#5667); Hadoop 3.4 S3A prefixes `Hadoop 3.4.0, ` (AWSClientConfig.java "
        "@ b0563a19).",
        "AWS: Java v2 needs no upgrade. Same token as v1; the major version tells them apart.",
        since="2",
    ),
    Client(
        "aws-sdk-js",
        ("aws-sdk-nodejs", "aws-sdk-js", "aws-sdk-js-react-native"),
        "2.68.0",
        "upgrade aws-sdk to ≥ 2.68.0 (or v3), or pass signatureVersion: 'v4' to AWS.S3",
        "`aws-sdk-<environment>/<v>` + in Node ` <platform>/<node v> [exec-env/…]` + ` callback|promise` "
        "(aws/aws-sdk-js lib/util.js userAgent() @ v2.68.0, 37f85969; lib/request.js); the environment is "
        "nodejs (lib/node_loader.js), js in browser builds (lib/browser_loader.js), js-react-native "
        "(lib/react-native-loader.js). "
        "Browsers send it as X-Amz-User-Agent (lib/http.js); whether CloudTrail logs that header is UNVERIFIED.",
        'POST and AWS agree; CHANGELOG.md @ v2.68.0: "Switches S3 to use signatureVersion v4 by default"; FIELD: '
        "2.67.0 signs SigV2, 2.68.0 SigV4. 2.4.0–2.4.11 also defaulted to v4 before 2.4.12 reverted it "
        "(aws/aws-sdk-js#1085): counted outdated. Presigned URLs still default to v2 in the old regions "
        "(lib/services/s3.js getSignatureVersion @ v2.1692.0).",
        before="3",
    ),
    Client(
        "aws-sdk-js-v3",
        ("aws-sdk-js",),
        EVERY_RELEASE,
        "the JS SDK v3 signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-js/3.<v> ua/2.1 os/<os>#<v> lang/js md/nodejs#<v> api/<service>#<v> [m/…]` (aws/aws-sdk-js-v3 "
        "packages/util-user-agent-node/src/defaultUserAgent.ts, packages/middleware-user-agent/src/"
        "user-agent-middleware.ts @ b867b264); browsers write `md/browser#<name>_<v>`; before 3.0 GA `/` instead "
        "of `#` (aws/aws-sdk-js-v3#1775).",
        "AWS: JS v3 needs no upgrade. Same token as browser builds of v2; the major version tells them apart.",
        since="3",
    ),
    Client(
        "aws-sdk-php",
        ("aws-sdk-php", "aws-sdk-php2"),
        "3.0.0",
        "move to aws-sdk-php v3 (v1 cannot sign S3 requests with SigV4; on v2 ≥ 2.7.4 pass 'signature' => 'v4' "
        "to S3Client::factory)",
        "v1: `aws-sdk-php/1.<v> PHP/<v> curl/<v> openssl/<v>` (amazonwebservices/aws-sdk-for-php sdk.class.php "
        "@ 0507424b); v2: `aws-sdk-php2/2.<v> Guzzle/<v> curl/<v> PHP/<v>` (aws/aws-sdk-php "
        "src/Aws/Common/Client/AbstractClient.php @ ef7779c8); v3: `aws-sdk-php/3.<v> GuzzleHttp/<v> …` "
        "(src/ClientResolver.php _apply_user_agent, indexed), now `aws-sdk-php/<v> ua/2.1 OS/…#… lang/php#…` "
        "(src/UserAgentMiddleware.php @ 6c089e02).",
        "POST says 3; AWS now allows ≥ 2.7.4 only with signature v4 set: the default changed in 3. v1 signs S3 "
        "with SigV2 only (services/s3.class.php); v2 signs SigV2 unless 'signature' => 'v4' "
        "(src/Aws/S3/S3Client.php @ 1c0052ea); v3 offers only s3v4, v4 and anonymous (src/Endpoint/Partition.php).",
    ),
    Client(
        "aws-sdk-ruby",
        ("aws-sdk-ruby", "aws-sdk-ruby2", "aws-sdk-ruby3"),
        "2.2.0",
        "upgrade aws-sdk to v3 (v2 signs SigV4 by default from 2.2.0, v1 never), or pass signature_version: 'v4' "
        "(v1: s3_signature_version: :v4)",
        "v1: `aws-sdk-ruby/1.<v> <engine>/<v> <platform>` (aws/aws-sdk-ruby lib/aws/core/client.rb "
        "user_agent_string, branch version-1 @ e2d53023); v2: `aws-sdk-ruby2/2.<v> <engine>/<v> <platform> "
        "[resources]` (aws-sdk-core/lib/aws-sdk-core/plugins/user_agent.rb @ v2.11.632); v3: `aws-sdk-ruby3/<core v> "
        "<engine>/<v> <platform> aws-sdk-s3/<v>`, from core 3.174.0 `aws-sdk-ruby3/<v> ua/2.1 api/s3#<v> os/… "
        "lang/ruby#…` (gems/aws-sdk-core/lib/aws-sdk-core/plugins/user_agent.rb @ bac3491f).",
        "POST says 2.2.0; AWS says upgrade to v3 (v2 is end of life): 2.2.0 is where the default changed "
        '(CHANGELOG.md @ v2.2.0: "All Aws::S3::Client instances will default to using Signature Version 4"). '
        "v1 signs SigV2 in the old regions in every release, 1.67.0 included (lib/aws/s3/config.rb).",
    ),
    Client(
        "aws-sdk-go",
        ("aws-sdk-go",),
        EVERY_RELEASE,
        "the Go SDK signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-go/<v> (<go v>; <GOOS>; <GOARCH>) [exec-env/…]` + whatever the caller appends, e.g. Terraform's "
        "`APN/1.0 HashiCorp/1.0 Terraform/<v>` (aws/aws-sdk-go aws/corehandlers/user_agent.go @ 53ca4dc2; "
        "hashicorp/terraform-provider-aws aws/config.go @ 88362fbe puts the APN products first).",
        "AWS: Go needs no upgrade; service/s3 signs with the v4 signer.",
    ),
    Client(
        "aws-sdk-go-v2",
        ("aws-sdk-go-v2",),
        EVERY_RELEASE,
        "the Go SDK v2 signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-go-v2/<v> ua/2.1 os/<os> lang/go#<v> md/GOOS#… md/GOARCH#… api/<service>#<v> [m/…]` "
        "(aws/aws-sdk-go-v2 aws/middleware/user_agent.go, indexed; before GA `aws-sdk-go-v2/0.<v> GOOS/… GOARCH/… "
        "GO/…` @ 1032a4d8); Terraform providers prefix `APN/1.0 HashiCorp/1.0 Terraform/<v> (+…) "
        "terraform-provider-aws/<v> (+…)` (internal/conns/config.go @ cf68c67b).",
        "AWS: Go needs no upgrade.",
    ),
    Client(
        "aws-sdk-cpp",
        ("aws-sdk-cpp",),
        EVERY_RELEASE,
        "the C++ SDK signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-cpp/<v> <OS> <arch> <compiler>/<v>`, from 1.11 `aws-sdk-cpp/<v> ua/2.1 api/<service> os/…#… "
        "lang/c++#… md/aws-crt#…` (aws/aws-sdk-cpp aws-cpp-sdk-core/source/client/ClientConfiguration.cpp "
        "ComputeUserAgentString, indexed).",
        "AWS: C++ needs no upgrade.",
    ),
    Client(
        "aws-sdk-rust",
        ("aws-sdk-rust",),
        EVERY_RELEASE,
        "the Rust SDK signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-rust/<v> os/<family>[/<v>] lang/rust/<rustc v>` in User-Agent, the `ua/… api/…` form in "
        "x-amz-user-agent (smithy-lang/smithy-rs aws/rust-runtime/aws-runtime/src/user_agent.rs @ 5dd20867).",
        "First released in 2021, after AWS announced the end of SigV2 for S3 (2019); AWS: SDKs use SigV4 by default.",
    ),
    Client(
        "aws-sdk-swift",
        ("aws-sdk-swift",),
        EVERY_RELEASE,
        "the Swift SDK signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-swift/<v> ua/2.1 api/<service>#<v> os/<family>#<v> lang/swift#<v> [m/…]` (awslabs/aws-sdk-swift "
        "Sources/Core/AWSClientRuntime/Sources/AWSClientRuntime/UserAgent/AWSUserAgentMetadata.swift @ 353ce5f8).",
        "First released in 2021, after AWS announced the end of SigV2 for S3 (2019); AWS: SDKs use SigV4 by default.",
    ),
    Client(
        "aws-sdk-kotlin",
        ("aws-sdk-kotlin",),
        EVERY_RELEASE,
        "the Kotlin SDK signs SigV4 in every release: SigV2 under this agent comes from another signer or a "
        "presigned URL made elsewhere",
        "`aws-sdk-kotlin/<v>` short, `aws-sdk-kotlin/<v> [ua/2.1] api/<service>… os/… lang/kotlin… md/jvmVersion…` "
        "long (awslabs/aws-sdk-kotlin aws-runtime/aws-http/common/src/aws/sdk/kotlin/runtime/http/"
        "AwsUserAgentMetadata.kt @ 0d985634; which header carries which is UNVERIFIED).",
        "First released in 2021, after AWS announced the end of SigV2 for S3 (2019); AWS: SDKs use SigV4 by default.",
    ),
)


def by_name(name: str) -> Client | None:
    return next((client for client in CATALOG if client.name == name), None)


PART_DIGITS = 19
"""A version part as a zero-padded number of this many digits: a bigint's, so no part is cut."""


def version_key(text: str) -> str:
    """`2.68.0` → its four parts, each zero-padded: versions compare as these texts compare."""
    return "".join(f"{part:0{PART_DIGITS}d}" for part in parse_version(text))


def version_key_sql(version: str) -> str:
    """SQL: `version_key` of a version text (missing parts count as 0), in portable SQL.

    No `split_part`/`CAST`: Athena and DuckDB disagree on those out of range (../shared/REFERENCE.md section 8).
    """
    parts = []
    for part in range(VERSION_PARTS):
        pattern = "^" + r"[0-9]+\." * part + "([0-9]+)"
        number = f"coalesce(try_cast(nullif(regexp_extract({version}, '{pattern}', 1), '') AS bigint), 0)"
        parts.append(f"lpad(cast({number} AS varchar), {PART_DIGITS}, '0')")
    return "\n      || ".join(parts)


def _literal(value: str | None) -> str:
    return "NULL" if value is None else quote_literal(value)


def catalog_values_sql() -> str:
    """The catalog as VALUES rows (client, since_key, before_key, sigv4_default_version, sigv4_default_key,
    always_outdated, precedence), ranked in catalog order; the keys are `version_key`s."""

    def key(version: str | None) -> str:
        return _literal(None if version is None else version_key(version))

    return ",\n    ".join(
        f"({quote_literal(c.name)}, {key(c.since)}, {key(c.before)}, {_literal(c.threshold)}, {key(c.threshold)}, "
        f"{'true' if c.sigv4_default == NO_RELEASE else 'false'}, {rank})"
        for rank, c in enumerate(CATALOG, start=1)
    )


def version_in_agent_sql(agent: str, rank: str) -> str:
    """SQL: the version that the catalog row ranked `rank` finds in `agent`, NULL when it finds none.

    Each row's pattern is a literal in its own branch, so the engine compiles it once; a pattern read from a
    column would be compiled again for every agent.
    """
    branches = "\n      ".join(
        f"WHEN {position} THEN regexp_extract({agent}, {quote_literal(c.pattern)}, 1)"
        for position, c in enumerate(CATALOG, start=1)
    )
    return f"nullif(CASE {rank}\n      {branches}\n    END, '')"


def parse_version(text: str) -> tuple[int, ...]:
    """`3.1.10.0` → (3, 1, 10, 0); compared part by part, missing parts count as 0."""
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)*", text):
        raise ValueError(f"not a numeric version: {text!r}")
    parts = tuple(int(part) for part in text.split("."))[:VERSION_PARTS]
    return parts + (0,) * (VERSION_PARTS - len(parts))


def versions_text(client: Client) -> str:
    """The products and version range of a row, as the README shows them: `aws-sdk-js/` < 3."""
    tokens = ", ".join(f"`{name}/`" for name in client.products)
    bounds = ([f"≥ {client.since}"] if client.since != "0" else []) + ([f"< {client.before}"] if client.before else [])
    return f"{tokens} {', '.join(bounds)}".strip()


def markdown_table() -> str:
    """The catalog as the README shows it, in precedence order; a test keeps the README in step."""
    lines = [
        "| Client | User agent carries | SigV4 default since | Agent format, from the SDK's source "
        "| Why this version |",
        "|---|---|---|---|---|",
    ]
    for c in CATALOG:
        cells = (c.name, versions_text(c), c.sigv4_default, c.formats, c.source)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
