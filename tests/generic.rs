//! The generic password/secret rule on the assignment syntaxes people write, and on the
//! look-alikes it must leave alone.

mod util;

use util::Dir;

/// Scans `text` as the file `name` and returns the generic-secret values found (with
/// `--show-secrets`).
fn generic_values(name: &str, text: &str) -> Vec<String> {
    let dir = Dir::new();
    dir.write(name, text);
    let (_, report) = dir.scan_json(&[".", "--show-secrets"]);
    report
        .findings
        .iter()
        .filter(|f| f.rule.id == "generic-secret")
        .map(|f| f.secret.clone())
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
