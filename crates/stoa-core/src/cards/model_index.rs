//! Shapes of the structured model-card fields: `model-index` (Papers-with-Code shaped
//! evaluation results, cards-datasets.md §8) and `widget` (example inputs).

use serde_json::{Map, Value};

use super::validate::Checker;

/// A required member: reported as `"path" is required` when absent or null.
fn required<'a>(checker: &mut Checker, object: &'a Map<String, Value>, parent: &str, key: &str) -> Option<&'a Value> {
    let value = object.get(key).filter(|value| !value.is_null());
    if value.is_none() {
        checker.error(&format!("{parent}.{key}"), "is required");
    }
    value
}

fn optional_string(checker: &mut Checker, object: &Map<String, Value>, parent: &str, key: &str) {
    if let Some(value) = object.get(key).filter(|value| !value.is_null()) {
        checker.string(&format!("{parent}.{key}"), value);
    }
}

fn required_string(checker: &mut Checker, object: &Map<String, Value>, parent: &str, key: &str) {
    if let Some(value) = required(checker, object, parent, key) {
        checker.string(&format!("{parent}.{key}"), value);
    }
}

/// `model-index: [{name, results: [{task: {type, name?}, dataset: {type, name, config?, split?,
/// revision?, args?}, metrics: [{type, value, name?, config?, verified?}], source?: {url,
/// name?}}]}]`.
pub(super) fn check_model_index(checker: &mut Checker, index: &Value) {
    let Some(models) = checker.array("model-index", index) else { return };
    for (m, model) in models.iter().enumerate() {
        let path = format!("model-index[{m}]");
        let Some(model) = checker.object(&path, model) else { continue };
        required_string(checker, model, &path, "name");
        let Some(results) = required(checker, model, &path, "results") else { continue };
        let Some(results) = checker.array(&format!("{path}.results"), results) else { continue };
        for (r, result) in results.iter().enumerate() {
            check_result(checker, &format!("{path}.results[{r}]"), result);
        }
    }
}

fn check_result(checker: &mut Checker, path: &str, result: &Value) {
    let Some(result) = checker.object(path, result) else { return };
    if let Some(task) = required(checker, result, path, "task") {
        let task_path = format!("{path}.task");
        if let Some(task) = checker.object(&task_path, task) {
            required_string(checker, task, &task_path, "type");
            optional_string(checker, task, &task_path, "name");
        }
    }
    if let Some(dataset) = required(checker, result, path, "dataset") {
        let dataset_path = format!("{path}.dataset");
        if let Some(dataset) = checker.object(&dataset_path, dataset) {
            required_string(checker, dataset, &dataset_path, "type");
            required_string(checker, dataset, &dataset_path, "name");
            for key in ["config", "split", "revision"] {
                optional_string(checker, dataset, &dataset_path, key);
            }
        }
    }
    if let Some(metrics) = required(checker, result, path, "metrics") {
        let metrics_path = format!("{path}.metrics");
        if let Some(metrics) = checker.array(&metrics_path, metrics) {
            for (i, metric) in metrics.iter().enumerate() {
                let metric_path = format!("{metrics_path}[{i}]");
                let Some(metric) = checker.object(&metric_path, metric) else { continue };
                required_string(checker, metric, &metric_path, "type");
                // Any JSON value: numbers, strings like "25.3%", or per-class objects.
                required(checker, metric, &metric_path, "value");
                optional_string(checker, metric, &metric_path, "name");
                optional_string(checker, metric, &metric_path, "config");
                if let Some(verified) = metric.get("verified").filter(|value| !value.is_null()) {
                    checker.boolean(&format!("{metric_path}.verified"), verified);
                }
            }
        }
    }
    if let Some(source) = result.get("source").filter(|value| !value.is_null()) {
        let source_path = format!("{path}.source");
        if let Some(source) = checker.object(&source_path, source) {
            required_string(checker, source, &source_path, "url");
            optional_string(checker, source, &source_path, "name");
        }
    }
}

/// `widget: [{text?, src?, example_title?, group?, messages?, ...}]`.
pub(super) fn check_widget(checker: &mut Checker, widget: &Value) {
    let Some(examples) = checker.array("widget", widget) else { return };
    for (i, example) in examples.iter().enumerate() {
        let path = format!("widget[{i}]");
        let Some(example) = checker.object(&path, example) else { continue };
        for key in ["text", "src", "example_title", "group"] {
            optional_string(checker, example, &path, key);
        }
        if let Some(messages) = example.get("messages").filter(|value| !value.is_null()) {
            checker.array(&format!("{path}.messages"), messages);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn index_errors(index: &Value) -> Vec<String> {
        let mut checker = Checker::default();
        check_model_index(&mut checker, index);
        checker.errors
    }

    fn widget_errors(widget: &Value) -> Vec<String> {
        let mut checker = Checker::default();
        check_widget(&mut checker, widget);
        checker.errors
    }

    fn valid_result() -> Value {
        json!({
            "task": {"type": "text-generation", "name": "Text Generation"},
            "dataset": {"type": "ai2_arc", "name": "AI2 ARC", "config": "ARC-Challenge", "split": "test"},
            "metrics": [{"type": "acc_norm", "value": 61.2, "name": "normalized accuracy", "verified": false}],
            "source": {"url": "https://example.org/leaderboard", "name": "Leaderboard"}
        })
    }

    #[test]
    fn a_valid_index_passes() {
        assert!(index_errors(&json!([{"name": "m", "results": [valid_result()]}])).is_empty());
        assert!(index_errors(&json!([{"name": "m", "results": []}])).is_empty());
    }

    #[test]
    fn index_errors_name_the_path() {
        assert_eq!(index_errors(&json!({"name": "m"})), vec!["\"model-index\" must be an array"]);
        assert_eq!(index_errors(&json!(["m"])), vec!["\"model-index[0]\" must be of type object"]);
        assert_eq!(index_errors(&json!([{"results": []}])), vec!["\"model-index[0].name\" is required"]);
        assert_eq!(index_errors(&json!([{"name": "m"}])), vec!["\"model-index[0].results\" is required"]);
        assert_eq!(
            index_errors(&json!([{"name": "m", "results": {}}])),
            vec!["\"model-index[0].results\" must be an array"]
        );
        let mut result = valid_result();
        result["dataset"]["config"] = json!(["a"]);
        assert_eq!(
            index_errors(&json!([{"name": "m", "results": [result]}])),
            vec!["\"model-index[0].results[0].dataset.config\" must be a string"]
        );
        let mut result = valid_result();
        result["dataset"].as_object_mut().unwrap().remove("name");
        result["task"].as_object_mut().unwrap().remove("type");
        result["metrics"][0].as_object_mut().unwrap().remove("value");
        assert_eq!(
            index_errors(&json!([{"name": "m", "results": [result]}])),
            vec![
                "\"model-index[0].results[0].task.type\" is required",
                "\"model-index[0].results[0].dataset.name\" is required",
                "\"model-index[0].results[0].metrics[0].value\" is required"
            ]
        );
        let mut result = valid_result();
        result["metrics"] = json!("acc");
        assert_eq!(
            index_errors(&json!([{"name": "m", "results": [result]}])),
            vec!["\"model-index[0].results[0].metrics\" must be an array"]
        );
        let mut result = valid_result();
        result["metrics"][0]["verified"] = json!("yes");
        result["source"] = json!({"name": "x"});
        assert_eq!(
            index_errors(&json!([{"name": "m", "results": [result]}])),
            vec![
                "\"model-index[0].results[0].metrics[0].verified\" must be a boolean",
                "\"model-index[0].results[0].source.url\" is required"
            ]
        );
    }

    #[test]
    fn widgets() {
        assert!(widget_errors(&json!([{"text": "Hello"}, {"src": "a.png", "example_title": "A"}])).is_empty());
        assert_eq!(widget_errors(&json!("Hello")), vec!["\"widget\" must be an array"]);
        assert_eq!(widget_errors(&json!(["Hello"])), vec!["\"widget[0]\" must be of type object"]);
        assert_eq!(widget_errors(&json!([{"text": 1}])), vec!["\"widget[0].text\" must be a string"]);
        assert_eq!(widget_errors(&json!([{"messages": "hi"}])), vec!["\"widget[0].messages\" must be an array"]);
    }
}
