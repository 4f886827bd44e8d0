//! The generic password/secret rule on the assignment syntaxes people write, and on the
//! look-alikes it must leave alone.

mod util;

use util::{Dir, Fake};

/// Scans `text` as the file `name` and returns the values the Generic provider's rules found
/// (`generic-secret` and the password rules; with `--show-secrets`).
fn generic_values(name: &str, text: &str) -> Vec<String> {
    generic_findings(name, text)
        .into_iter()
        .map(|(_, secret)| secret)
        .collect()
}

/// Like [`generic_values`], with the rule id of each finding.
fn generic_findings(name: &str, text: &str) -> Vec<(String, String)> {
    let dir = Dir::new();
    dir.write(name, text);
    let (_, report) = dir.scan_json(&[".", "--show-secrets"]);
    report
        .findings
        .iter()
        .filter(|f| {
            [
                "generic-",
                "password-",
                "connection-string-",
                "cli-password",
                "network-credential",
            ]
            .iter()
            .any(|p| f.rule.id.starts_with(p))
        })
        .map(|f| (f.rule.id.clone(), f.secret.clone()))
        .collect()
}

#[test]
fn real_assignments_in_many_syntaxes() {
    let secret = "Zq7vR2mXk9LpW3nT";
    for (name, text) in [
        ("a.py", format!("db_password = \"{secret}\"\n")),
        ("a.yml", format!("service:\n  client_secret: {secret}\n")),
        (".env", format!("API_KEY={secret}\n")),
        ("a.json", format!("{{\"apiKey\": \"{secret}\"}}\n")),
        (
            "a.xml",
            format!("<add key=\"Password\" value=\"{secret}\" />\n"),
        ),
        (
            "a.xml",
            format!("<db password=\"{secret}\" user=\"app\"/>\n"),
        ),
        ("a.ini", format!("[db]\npassword : {secret}\n")),
        ("a.go", format!("accessKey := \"{secret}\"\n")),
        ("a.rb", format!("config.secret_token = '{secret}'\n")),
        (
            "a.php",
            format!("$config['secret'] = \"{secret}\";\n").replace("['secret']", "_secret"),
        ),
        (
            "a.cs",
            format!("var conn = \"Server=db;User Id=app;Password={secret};\";\n"),
        ),
        ("a.sh", format!("export GITLAB_TOKEN=\"{secret}\"\n")),
    ] {
        assert_eq!(
            generic_values(name, &text),
            vec![secret.to_string()],
            "{name}: {text}"
        );
    }
}

#[test]
fn references_calls_types_and_placeholders_are_left_alone() {
    for (name, text) in [
        ("a.py", "password = os.environ[\"DB_PASSWORD\"]\n"),
        ("a.js", "const token = process.env.GITHUB_TOKEN1;\n"),
        (
            "a.java",
            "String password = System.getenv(\"DB_PASSWORD\");\n",
        ),
        ("a.yml", "password: ${DB_PASSWORD}\n"),
        ("a.yml", "token: \"{{ vault_token }}\"\n"),
        ("a.py", "secret = \"%(secret)s\"\n"),
        ("a.ts", "password: string;\n"),
        ("a.py", "api_key = get_api_key()\n"),
        ("a.c", "\t\t\tpassword = utf8_to_utf16_dup(v);\n"),
        ("a.env", "API_KEY=<your-api-key>\n"),
        ("a.env", "PASSWORD=changeme123\n"),
        ("a.env", "SECRET_KEY=your_secret_key_here\n"),
        (
            "a.env",
            "TOKEN_URL=https://auth.example.test/oauth/token2\n",
        ),
        ("a.env", "SECRET_NAME=prod-db-credentials-2\n"),
        (
            "a.yml",
            "credentialsId: 'f4aeb6bc-2a25-458a-8111-9be9e502c0e7'\n",
        ),
        ("a.txt", "the token was 12345678 long\n"),
        (
            "a.gradle",
            "implementation 'io.jsonwebtoken:jjwt-api:0.11.5'\n",
        ),
    ] {
        assert_eq!(
            generic_values(name, text),
            Vec::<String>::new(),
            "{name}: {text}"
        );
    }
}

#[test]
fn psql_variables_are_not_passwords() {
    // `:'pgpass'` interpolates a psql variable set from the environment; a literal password
    // in the same file is still found.
    let sql = "\\set pgpass `echo \"$POSTGRES_PASSWORD\"`\n\
               ALTER USER authenticator WITH PASSWORD :'pgpass';\n\
               -- password: 'Hv7qLm2xTz9R'\n";
    assert_eq!(generic_values("roles.sql", sql), vec!["Hv7qLm2xTz9R"]);
}

#[test]
fn one_value_matched_by_two_generic_rules_is_one_finding() {
    // `DB_PASSWORD=...` is both a generic assignment and a dotenv password line.
    let found = generic_findings(".env", "DB_PASSWORD=Zq7vR2mXk9LpW3nT\n");
    assert_eq!(
        found,
        vec![(
            "password-config-line".to_string(),
            "Zq7vR2mXk9LpW3nT".to_string()
        )]
    );
}

#[test]
fn chosen_passwords_are_found_in_password_contexts() {
    for (name, text, secret) in [
        ("a.py", "password = \"blooberry\"\n", "blooberry"),
        (".env", "REACT_APP_AUTH_PASSWORD=whiteduke\n", "whiteduke"),
        (
            "settings.ini",
            "[SupportSite]\nUsername=svc_support\nPassword=larkspur-9\n",
            "larkspur-9",
        ),
        (
            "app.config",
            "<add name=\"db\" connectionString=\"Server=db1;User ID=app;Password=wintergreen;\" />\n",
            "wintergreen",
        ),
        (
            "login.py",
            "if username == \"operator\" and password == \"cobalt-lynx4\":\n",
            "cobalt-lynx4",
        ),
        (
            "run.bat",
            "psexec \\\\10.0.9.14 -u Administrator -p harbour7 cmd\n",
            "harbour7",
        ),
        (
            "Mailer.cs",
            "client.Credentials = new NetworkCredential(\"builds\", \"vzihlaqkunrx\");\n",
            "vzihlaqkunrx",
        ),
        (
            "README.md",
            "The default password is 'heron-Lake4'.\n",
            "heron-Lake4",
        ),
        (
            "ftp.xml",
            "<Server><Pass>Wh1rlwind-Oak</Pass></Server>\n",
            "Wh1rlwind-Oak",
        ),
        // The value ends where the command line or the form body goes on.
        (
            "NOTES.md",
            "http :5001/users/v1/login username=admin password=Quill7marsh|jq -r .token\n",
            "Quill7marsh",
        ),
        (
            "ssrf.sh",
            "  password=Tumbleweed-42&url=https%3A%2F%2Fkeyhound.test%2F\n",
            "Tumbleweed-42",
        ),
        (".env", "SMTP_PASSWORD=ab&cd-Stream9\n", "ab&cd-Stream9"),
    ] {
        assert_eq!(
            generic_values(name, text),
            vec![secret.to_string()],
            "{name}: {text}"
        );
    }
}

#[test]
fn translation_catalogues_are_not_read_as_passwords() {
    // Labels of the password field, in every language a catalogue holds.
    for name in [
        "imports/i18n/data/az.i18n.json",
        "web/src/locales/pt-PT.json",
        "conf/locale/locale_br.ini",
        "resources/lang/gd/auth.php",
        "po/gv.po",
        "app/src/main/res/values-rm/strings.xml",
        "plugins/password/localization/de_DE.inc",
        "upload/admin/language/fr-fr/common/forgotten.php",
        "zanata-war/src/main/resources/messages_pt_BR.properties",
    ] {
        let text = "\"smtp-password\": \"Ger-tremen\",\n\"password\": \"parol\",\n\"s3-secret-key\": \"S3-hemlig nyckel\",\n";
        assert_eq!(generic_values(name, text), Vec::<String>::new(), "{name}");
    }
    // The same line elsewhere is a password (a Spring profile's properties too), and a token's
    // own shape is found in a catalogue.
    assert_eq!(
        generic_values(
            "config/application_db.properties",
            "db.password=Ger-tremen\n"
        ),
        vec!["Ger-tremen".to_string()]
    );
    assert_eq!(
        generic_values("config/app.json", "\"password\": \"Ger-tremen\"\n"),
        vec!["Ger-tremen".to_string()]
    );
    let dir = Dir::new();
    let token = Fake::new(41).github("ghp_");
    dir.write("locales/en.json", format!("{{\"token\": \"{token}\"}}\n"));
    let (_, report) = dir.scan_json(&["."]);
    assert_eq!(report.places().len(), 1, "{:?}", report.places());
}

#[test]
fn api_specifications_hold_examples_not_secrets() {
    let text =
        "          client_secret: wj9bFq2LmT8vXk3RzP7nYc4H\n          password: sUperW0rd-Zq91\n";
    for name in [
        "openapi.yaml",
        "docs/swagger.json",
        "openapi/management.yaml",
        "api/swagger-v2/paths/users.yml",
        "spec/openapi-3.1.json",
        "api-swagger.json",
        "docs/openapi_v2.yaml",
        "layer/python/botocore/data/waf/2015-08-24/examples-1.json",
        "node_modules/aws-sdk/apis/iam-2010-05-08.examples.json",
        "docs/api/blueprint/authentication.apib",
    ] {
        assert_eq!(generic_values(name, text), Vec::<String>::new(), "{name}");
    }
    // The same lines in a configuration file are secrets, and a spec's real token is found.
    assert_eq!(generic_values("config/app.yml", text).len(), 2);
    assert_eq!(generic_values("openapi/README.md", text).len(), 2);
    assert_eq!(
        generic_values(".github/workflows/openapi-diff.yaml", text).len(),
        2
    );
    // A document that says it is one, whatever its name (Spree's `docs/api-reference/
    // admin.yaml`), and the same document without its first key.
    let spec = format!("---\nopenapi: 3.0.3\ninfo:\n  title: Admin API\npaths:\n{text}");
    assert_eq!(
        generic_values("docs/api-reference/admin.yaml", &spec),
        Vec::<String>::new()
    );
    assert_eq!(
        generic_values(
            "docs/api-reference/admin.yaml",
            &spec.replace("openapi", "title")
        )
        .len(),
        2
    );
    let dir = Dir::new();
    let token = Fake::new(42).github("ghp_");
    dir.write("openapi.yaml", format!("example:\n  token: {token}\n"));
    let (_, report) = dir.scan_json(&["."]);
    assert_eq!(report.places().len(), 1, "{:?}", report.places());
}

#[test]
fn salted_password_digests_are_not_passwords() {
    let digest = "4a1f6c2e9b7d03e58c1a2f4b6d8e0a3c5e7f9b1d";
    let seed =
        format!("<user username=\"admin\" password=\"{digest}\" salt=\"c5e7f9b1d4a1f6c2\"/>\n");
    assert_eq!(generic_values("dataset.xml", &seed), Vec::<String>::new());
    // Without a salt beside it, forty hex digits in a password field are reported.
    let bare = format!("<user username=\"admin\" password=\"{digest}\"/>\n");
    assert_eq!(
        generic_values("dataset.xml", &bare),
        vec![digest.to_string()]
    );
}

#[test]
fn numbered_test_variables_are_code_after_an_equals_sign() {
    // A keyword argument on its own line, and a Cisco-style `srx2_pass` variable.
    assert_eq!(
        generic_values("t.py", "resp = self.get(\n    access_token=user2_tok\n)\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        generic_values("t.py", "net_connect.password = srx2_pass\n"),
        Vec::<String>::new()
    );
    // An environment file's value, and the same word after a `:` (a YAML value, a
    // tutorial's password), are values.
    assert_eq!(
        generic_values(".env", "JWT_KEY=mirotalkp2p_jwt_secret\n"),
        vec!["mirotalkp2p_jwt_secret".to_string()]
    );
    assert_eq!(
        generic_values("auth.yaml", "password: consumer1_pwd\n"),
        vec!["consumer1_pwd".to_string()]
    );
}

#[test]
fn password_contexts_leave_variables_and_non_values_alone() {
    for (name, text) in [
        ("a.py", "password = user_password\n"),
        // A shell test comparing `$pass`, in libtool's ltmain.sh.
        (
            "ltmain.sh",
            "if test \"$linkmode,$pass\" = \"lib,link\" ||\n",
        ),
        (
            "ltmain.sh",
            "if test \"$linkmode,$pass\" != \"prog,link\"; then\n",
        ),
        ("a.js", "  password: hashedPassword\n"),
        ("a.yml", "password: null\n"),
        ("a.py", "password = \"string\"\n"),
        (".env", "DB_PASSWORD=${DB_PASSWORD}\n"),
        ("a.c", "\tpassword = utf8_to_utf16_dup(v);\n"),
        ("a.go", "password = parts[1]\n"),
        ("a.js", "this.addPassword = \"#add-password\";\n"),
        ("a.sh", "psexec \\\\host -u admin -p %PASSWORD% cmd\n"),
        ("a.md", "Make sure the password is strong.\n"),
        ("a.py", "bypass = \"direct-route\"\n"),
        ("a.yml", "    password_expire: interval\n"),
        (
            "a.md",
            "  \"hashedToken\": \"CY/PWeDa3fAkl+k94+GWzCtpB5nPcVxLzzzjXs4kI3A=\"\n",
        ),
        (
            "config",
            "DESCRIPTION_MAIL_SERVICE_PASSWORD=\"the app's mail-service-password\"\n",
        ),
        ("openapi.yaml", "        password: supersecurepw\n"),
    ] {
        assert_eq!(
            generic_values(name, text),
            Vec::<String>::new(),
            "{name}: {text}"
        );
    }
}

#[test]
fn look_alikes_from_real_code_are_left_alone_and_real_values_kept() {
    for (name, text) in [
        // A schema array mapping columns to SQL types.
        ("a.php", "'client_secret' => 'VARCHAR(80)',\n"),
        // A service map naming the classes that handle credentials.
        (
            "a.php",
            "'client_credentials' => 'OAuth2\\Storage\\ClientCredentialsInterface',\n",
        ),
        // The LDAP attribute that holds passwords.
        (
            "a.php",
            "protected string $passwordAttribute = 'unicodepwd';\n",
        ),
        // RFC 6238's test secret (base32 of "1234567890" repeated).
        ("a.php", "$secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';\n"),
        // An Ethereum address and a compressed public key, public by design.
        (
            "a.ts",
            "const privateKey = '0x8343d2eb2B13A2495De435a1b15e85b98115Ce05'\n",
        ),
        (
            "a.ts",
            ".send({ privateKey: '0x02c7a2a93289c9fbda5990bac6596993e9bb0a8d3f178175a80b7cfd983983f506' })\n",
        ),
        // Request and page tokens, not credentials.
        (
            "a.py",
            "client.x(IdempotencyToken=\"terraform-20221125230308947400000001\")\n",
        ),
        (
            "a.py",
            "resp = client.list(nextToken=\"wrong-group@stream@999\")\n",
        ),
        // A constant's name with a size in it.
        (
            "a.py",
            "    Certificate=RSA_2048_CRT, PrivateKey=RSA_2048_KEY, CertificateChain=CA_CRT\n",
        ),
        // The value repeats its field's name.
        (
            "a.py",
            "client.export_certificate(CertificateArn=arn, Passphrase=\"passphrase\")\n",
        ),
        // A mock with Slack's prefix that is no Slack token.
        (
            "a.py",
            "self.client.token = \"xoxb-conversations_list_pagination2\"\n",
        ),
        (
            "a.py",
            "x(ApiKeySelectionExpression=\"api_key_s3l3ction\")\n",
        ),
        // "App password" in Danish and Norwegian, in translation files.
        ("da.json", "{\"app_passwd\": \"App-adgangskode\"}\n"),
        ("nb.json", "{\"app_passwd\": \"App-passord\"}\n"),
        (
            "da.json",
            "{\"SHOW_PASSWORD_ADVICE\": \"VIS_KODEORD_RÅD\"}\n",
        ),
        // C# members with non-null assertions, private fields, Pascal-case members.
        ("a.cs", "            PrivateKey = user.PrivateKey!,\n"),
        (
            "a.cs",
            "        SigningKey = keys.SignatureKeyPairData!.WrappedSigningKey,\n",
        ),
        (
            "a.cs",
            "        user.PrivateKey = _mockEncryptedType7String;\n",
        ),
        ("a.cs", "        EncryptionKey = request.UserKeyB64,\n"),
        // A feature flag and an error code that name the field.
        (
            "a.cs",
            "public const string UseSdkPasswordGenerators = \"pm-19976-use-sdk-password-generators\";\n",
        ),
        (
            "a.cs",
            "public const string ClientB64HashedPassword = \"password_hash_b64\";\n",
        ),
        // Ciphertext only the user's key opens (a Bitwarden EncString), a salt, a login method.
        (
            "a.cs",
            "EncryptedPrivateKey = \"2.AOs41Hd8OQiCPXjyJKCiDA==|O6OHgt2U2hJGBSNGnimJmg==|iD33s8B69C8JhYYhSa4V1tArjvLr8eEaGqOV7BRo5Jk=\"\n",
        ),
        (
            "a.cs",
            "user.MasterPasswordSalt = \"explicit-salt-value\";\n",
        ),
        ("a.json", "{\"passwordless\": \"allowed\"}\n"),
        // Ciphertext of NiFi's protected properties, and how they are protected.
        (
            "nifi.properties",
            "nifi.security.keystorePasswd=6WUpex+VZiN05LXu||joWJMuoSzYniEC7IAoingTimlG7+RGk8I2irl/WTlIuMcg\nnifi.security.keystorePasswd.protected=aes/gcm/128\n",
        ),
        // Labels and keys in translation files; a lint code; prose around IDENTIFIED BY.
        (
            "de.json",
            "{\"authentication-passphrase\": \"Authentifizierungs-Passphrase\"}\n",
        ),
        (
            "ka.json",
            "{\"opc-keystore-password\": \"opc-keystore-პაროლი\"}\n",
        ),
        (
            "a.ts",
            "this.title = this.isPasswordLinkExpired ? 'login.reset-password-link-expired' : 'login.activation-link-expired';\n",
        ),
        ("a.js", "token.ignoreW020 = state.ignored.W020;\n"),
        (
            "A.java",
            "description = \"Replies to server originated RPC command identified by 'requestId' parameter.\"\n",
        ),
        // Types, variables and algorithm names with acronyms and versions; a Vue binding;
        // hashing parameters; a setting's state; "your app password" as one word.
        ("a.rs", "    pub credential: CredentialV3,\n"),
        ("a.go", "\tIssuerPrivateKey: keyRSA2048,\n"),
        (
            "a.go",
            "\tclient.IDTokenEncryptedResponseEnc = oidc.EncryptionEncA128GCM\n",
        ),
        (
            "c.yml",
            "id_token_encrypted_response_enc: 'A128CBC-HS256'\n",
        ),
        (
            "a.vue",
            "<b-checkbox v-model=\"form.passwordLogin\" :native-value=\"true\" name=\"password_login\">\n",
        ),
        (
            "a.go",
            "\tsuite.config.File.Password.PBKDF2.Iterations = 2147483649\n",
        ),
        ("a.php", "    'lost_password_link' => 'disabled',\n"),
        ("smtp.md", "  password: 'yourapppassword'\n"),
        // A Portuguese label; a name-service source; the branches of a ternary.
        ("locale_pt-PT.ini", "password=Palavra-chave\n"),
        ("nsswitch.conf", "passwd:         compat\n"),
        (
            "LogInModal.tsx",
            "this.$('[name=' + (this.identification() ? 'password' : 'identification') + ']');\n",
        ),
        // A scoped module path; a value a test makes invalid; a flag named in a message.
        (
            "a.ts",
            "  [Modules.API_KEY]: \"@medusajs/medusa/api-key\",\n",
        ),
        ("a.go", "  secret: \"!!!invalid-base64!!!\",\n"),
        (
            "a.go",
            "  \"you must either use an interactive terminal or use the --password flag\",\n",
        ),
        // Crowdin's pseudo-language placeholders; GitHub's stand-in password.
        ("aa.php", "    'password' => 'crwdns6798:0crwdne6798:0',\n"),
        (
            "a.sh",
            "git clone https://abc123def456:x-oauth-basic@github.com/org/repo\n",
        ),
        // One name cut before an optional index; a template literal building a variable's
        // name; a setting about who provisions the secret.
        (
            "a.ts",
            "    const webhookSecret = connectionMetadata?.['webhookSecret'];\n",
        ),
        (
            "a.ts",
            "    const envSecretKey = `E2E_SANDBOX_SECRET_${randomUUID().slice(0, 8)}`;\n",
        ),
        (
            "a.tsx",
            "    (endpoint.secretProvisioning === \"integrator\" || endpoint.secretProvisioning === \"either\");\n",
        ),
        (
            "a.md",
            "The Client Secret follows the format: `secret-token:example.com:${base64url encoded JWK}`.\n",
        ),
        // A query value that runs into the URL's fragment: words before the `#`.
        (
            "a.py",
            "URL = 'https://docs.keyhound.test/x?api_key=super_long_api_key_that_exceeds#section=limits'\n",
        ),
        (
            "a.py",
            "post_url=\"https://shop.keyhound.test/done?token=private#receipt\",\n",
        ),
        (
            "a.py",
            "post_url=\"https://shop.keyhound.test/done?access_token=private-receipt#done\",\n",
        ),
        // Mbed TLS's published test vectors, one test per line.
        (
            "mbedtls/tests/suites/test_suite_psa_crypto.data",
            "derive_output:PSA_ALG_HKDF_EXPAND(PSA_ALG_SHA_256):PSA_KEY_DERIVATION_INPUT_SECRET:\"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf\":PSA_KEY_DERIVATION_INPUT_INFO:\"f0f1f2f3f4f5f6f7f8f9\"\n",
        ),
        // A shell loop building each password from its counter.
        (
            "a.sh",
            "  curl -d '{\"user\": \"u\", \"password\": \"attempt'$i'\"}' http://localhost:8080/login\n",
        ),
        // An Algolia search-only key in a site's search configuration.
        (
            "config.js",
            "  algolia: {\n    AppId: \"GRSXNRCDRG\",\n    ApiKey: \"c463f74d6f36a5af808650e0f69aadfa\",\n    Index: \"wp_posts_plugins\",\n  },\n",
        ),
        // A PayPal order's approval link.
        (
            "hooks.json",
            "        \"href\": \"https://api.paypal.com/checkoutnow?token=9NK63094MA726991F\",\n",
        ),
        // xkcd 936's passphrase in a generated API reference's example.
        (
            "types.ts",
            "         *       \"db_pass\": \"correct-horse-battery-staple\",\n",
        ),
        // A PayPal donation button, linked from a contributing guide.
        (
            "Contributing.md",
            "[donate]: https://www.paypal.com/donate?token=Kq8vZ2mXw7pL4RtY9nBc3Hd6Jf1aGs5Ue0Io8Kb2Ga7Ns\n",
        ),
        // Ghost's Content API key, made for browsers.
        (
            ".ghost.json",
            "    \"contentApiKey\": \"9cc5c67c358edfdd81455149d0\",\n",
        ),
        // A tokeniser's encoding, named.
        ("config.ini", "tokeniser=o200k_base\n"),
        // The wave's route parameter and format template.
        ("routes.rb", "  post 'form/:token' => 'inbound#form'\n"),
        // SHA-1 of `test` standing in for an API key.
        (
            "cloudflare.feature",
            "    \"api_key\": \"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\",\n",
        ),
        // A generated model's docstring.
        (
            "model.py",
            "        :type oauth2_client_credentials: WebhooksOAuth2ClientCredentialsRelationship, optional\n",
        ),
        // A shared dashboard's link id in a recorded response.
        (
            "cassette.yaml",
            "      string: '{\"share_type\":\"invite\",\"token\":\"kqmzvtrbxlwhpnds-4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c\"}'\n",
        ),
    ] {
        assert_eq!(
            generic_values(name, text),
            Vec::<String>::new(),
            "{name}: {text}"
        );
    }
    // Next to each class above, a value that is a secret is still reported.
    for (name, text, value) in [
        (
            "a.py",
            "private_key = \"0x494d5845df8e51d1c208b3d5705a2259b16c2968cbb89a54657f4b7b0aa60e12\"\n",
            "0x494d5845df8e51d1c208b3d5705a2259b16c2968cbb89a54657f4b7b0aa60e12",
        ),
        (
            "a.php",
            "'client_secret' => 'Vd9x-2kLq81ZpR7tW4cY',\n",
            "Vd9x-2kLq81ZpR7tW4cY",
        ),
        (
            "a.py",
            "client.export_certificate(CertificateArn=arn, Passphrase=\"passphrase-2024!\")\n",
            "passphrase-2024!",
        ),
        (
            "da.json",
            "{\"smtp_passwd\": \"Adgangskode2024\"}\n",
            "Adgangskode2024",
        ),
        (
            "a.cs",
            "        user.Password = \"purple-lantern-orbit-staple\";\n",
            "purple-lantern-orbit-staple",
        ),
        (
            "a.cs",
            "            ApiKey = \"Xk9QmTp2WvLr7ZsB3\",\n",
            "Xk9QmTp2WvLr7ZsB3",
        ),
    ] {
        assert_eq!(generic_values(name, text), [value], "{name}: {text}");
    }
}

#[test]
fn docsearch_search_only_keys_are_public() {
    let key = "eda7daf0df1bbbb89cb3e2abe2b8970d";
    let config = format!(
        "docsearch({{\n  appId: 'R2IYF7ETH7',\n  apiKey: '{key}',\n  indexName: 'docs',\n}});\n"
    );
    assert_eq!(
        generic_values("assets/js/search.js", &config),
        Vec::<String>::new()
    );
    // The same assignment anywhere else is a key.
    assert_eq!(
        generic_values(
            "config/search.js",
            &format!("const client = {{ apiKey: '{key}' }};\n")
        ),
        vec![key.to_string()]
    );
}

#[test]
fn key_names_in_dotenv_files_only() {
    let line = "LASTFM_KEY=e03bde71ad50010a6fe74521a485d6ce\n";
    // A dotenv file configures services: any NAME_KEY with a random value is a key.
    for name in [".env", ".env.example", "test/.env.test", "deploy/app.env"] {
        let dir = Dir::new();
        dir.write(name, line);
        let (_, report) = dir.scan_json(&[".", "--show-secrets"]);
        let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.id.as_str()).collect();
        assert_eq!(rules, vec!["dotenv-key-assignment"], "{name}");
    }
    // Elsewhere `*_KEY` names too much that is no secret; only qualified names count there.
    let dir = Dir::new();
    dir.write("settings.py", line);
    let (_, report) = dir.scan_json(&["."]);
    assert!(report.findings.is_empty(), "{:?}", report.places());
}

#[test]
fn command_line_passwords_are_the_value_alone() {
    // Flyway's `-password=` after a `jdbc:mysql://` URL is the option, not mysql's `-p<pw>`.
    assert_eq!(
        generic_findings(
            "docker-compose.yml",
            "    command: -url=jdbc:mysql://db -user=root -password=Wren-4ladder migrate\n"
        ),
        vec![(
            "cli-password-option".to_string(),
            "Wren-4ladder".to_string()
        )]
    );
    assert_eq!(
        generic_findings("backup.sh", "mysql -h db -u backup -pPe4cock-shop shop\n"),
        vec![(
            "cli-password-option".to_string(),
            "Pe4cock-shop".to_string()
        )]
    );
}

#[test]
fn stripe_intent_client_secrets_are_not_reported() {
    // Stripe hands a PaymentIntent's or SetupIntent's client secret to the customer's browser;
    // over the labelled real-code sets 74 of 75 were mocked API responses, none a leak.
    for text in [
        "{\"client_secret\": \"pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH\"}\n",
        "secret = \"pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH\"\n",
        "$request->setClientSecret('seti_1Mm8s8LkdIwHu7ix0OXBfTRG_secret_NXDICkPqPeiBTAFqWmkbff09lRmSVXe');\n",
    ] {
        let dir = Dir::new();
        dir.write("fixture.txt", text);
        let (_, report) = dir.scan_json(&[".", "--show-secrets"]);
        assert!(
            report.findings.is_empty(),
            "{text}: {:?}",
            report.findings.len()
        );
    }
}

#[test]
fn a_quote_of_the_other_kind_stays_inside_the_literal() {
    for (text, secret) in [
        (
            "    private static final String SAMPLE_PASSWORD = \"Qx7#vL'm2Rt9!kPz\";\n",
            "Qx7#vL'm2Rt9!kPz",
        ),
        ("$password = 'tr\"ellis-9Moss';\n", "tr\"ellis-9Moss"),
    ] {
        assert_eq!(
            generic_findings("A.java", text),
            vec![("password-assignment".to_string(), secret.to_string())],
            "{text}"
        );
    }
}
