//! Where each file of a dropped folder (or zip) belongs: one sub-folder per class, the
//! convention of Keras' `image_dataset_from_directory` and torchvision's `ImageFolder`,
//! optionally under top-level `train/` and `test/` folders that keep the learner's split.
//! Only paths are read here; nothing is decoded.

use crate::data::{MAX_CLASSES, MIN_CLASSES};
use crate::error::{Error, Result};

/// A file left out, and why: shown to the learner beside the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// A file placed in a class (and, when the folder gives one, a split).
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Its index in the paths given to [`plan`].
    pub index: usize,
    pub class: usize,
    /// `Some(true)` under `test/`, `Some(false)` under `train/`, `None` when no split is given.
    pub test: Option<bool>,
}

/// The classes found and where every file goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Sorted, as Keras and torchvision sort them: label i is `class_names[i]`.
    pub class_names: Vec<String>,
    pub files: Vec<Placed>,
    pub problems: Vec<Problem>,
    /// True when the folder has its own `train/` and `test/` folders.
    pub split_given: bool,
}

/// Files every system leaves in folders and zips, never images: skipped without a word.
fn is_clutter(parts: &[&str]) -> bool {
    parts.iter().any(|p| p.starts_with('.') || *p == "__MACOSX")
        || matches!(
            parts.last().map(|p| p.to_ascii_lowercase()).as_deref(),
            Some("thumbs.db" | "desktop.ini")
        )
}

fn split_of(folder: &str) -> Option<bool> {
    match folder.to_ascii_lowercase().as_str() {
        "train" | "training" => Some(false),
        "test" | "testing" => Some(true),
        _ => None,
    }
}

/// Places each of `paths` (relative, `/`-separated; `\` is taken as `/`).
///
/// A folder all files share is stepped into, so a zip of `flowers/rose/1.jpg …` or a
/// dropped `flowers` folder both give the classes `rose`, … Errors (the whole dataset
/// refused) only for a layout no file of which could train: no class folders, one class,
/// or more than [`MAX_CLASSES`].
pub fn plan(paths: &[String]) -> Result<Layout> {
    let mut problems = Vec::new();
    let mut kept: Vec<(usize, Vec<&str>)> = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        let parts: Vec<&str> = path
            .split(['/', '\\'])
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        if parts.is_empty() || is_clutter(&parts) {
            continue;
        }
        kept.push((index, parts));
    }
    // In path order, whatever order the browser or the zip listed them in.
    kept.sort_by(|a, b| paths[a.0].cmp(&paths[b.0]));
    if kept.is_empty() {
        return Err(Error::Dataset(
            "no files found: drop a folder with one sub-folder of images per class".into(),
        ));
    }
    // Step into a folder every file is in, while some file lies a class folder below it.
    let mut depth = 0;
    loop {
        let first = kept[0].1.get(depth).copied();
        let shared = kept
            .iter()
            .all(|(_, p)| p.len() >= depth + 2 && p.get(depth).copied() == first);
        let deeper = kept.iter().any(|(_, p)| p.len() >= depth + 3);
        if !shared || !deeper || first.and_then(split_of).is_some() {
            break;
        }
        depth += 1;
    }
    let split_given = kept
        .iter()
        .all(|(_, p)| p.len() > depth + 1 && split_of(p[depth]).is_some());
    let class_level = depth + split_given as usize;
    // Class names, with names that differ only in case kept apart from the first.
    let mut names: Vec<&str> = Vec::new();
    let mut placed_parts: Vec<(usize, &str, Option<bool>)> = Vec::new();
    for (index, parts) in &kept {
        if parts.len() < class_level + 2 {
            problems.push(Problem {
                file: paths[*index].clone(),
                message: "is not inside a class folder: put each class's images in a folder \
                          named after the class"
                    .into(),
            });
            continue;
        }
        let test = split_given.then(|| split_of(parts[depth]) == Some(true));
        placed_parts.push((*index, parts[class_level], test));
        if !names.contains(&parts[class_level]) {
            names.push(parts[class_level]);
        }
    }
    names.sort_unstable();
    let mut class_names: Vec<String> = Vec::new();
    let mut refused: Vec<(&str, String)> = Vec::new();
    for name in names {
        match class_names
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name) || c.trim() == name.trim())
        {
            Some(first) => refused.push((name, first.clone())),
            None => class_names.push(name.to_string()),
        }
    }
    let mut files = Vec::new();
    for (index, name, test) in placed_parts {
        if let Some((_, first)) = refused.iter().find(|(n, _)| *n == name) {
            problems.push(Problem {
                file: paths[index].clone(),
                message: format!(
                    "its class folder '{name}' collides with the class '{first}' (the names \
                     differ only in case or spaces): rename one; its images are left out"
                ),
            });
            continue;
        }
        let class = class_names
            .iter()
            .position(|c| c == name)
            .expect("named above");
        files.push(Placed { index, class, test });
    }
    if class_names.len() > MAX_CLASSES {
        return Err(Error::Dataset(format!(
            "found {} class folders; a dataset may have at most {MAX_CLASSES} classes",
            class_names.len()
        )));
    }
    if class_names.len() < MIN_CLASSES {
        return Err(Error::Dataset(match class_names.first() {
            None => "no class folders found: put each class's images in a folder named after \
                     the class, and drop the folder that holds them"
                .to_string(),
            Some(only) => format!(
                "found one class ('{only}'): a classifier needs at least two, each in a \
                 folder of its own"
            ),
        }));
    }
    Ok(Layout {
        class_names,
        files,
        problems,
        split_given,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn classes_come_from_folders_sorted_and_a_shared_root_is_stepped_into() {
        let l = plan(&paths(&[
            "pets/dog/1.png",
            "pets/cat/2.jpg",
            "pets/cat/sub/3.jpg",
            "pets/.DS_Store",
            "pets/__MACOSX/cat/._2.jpg",
        ]))
        .unwrap();
        assert_eq!(l.class_names, ["cat", "dog"]);
        let classes: Vec<usize> = l.files.iter().map(|f| f.class).collect();
        // In path order: cat/2, cat/sub/3, dog/1.
        assert_eq!(classes, [0, 0, 1]);
        assert!(!l.split_given && l.problems.is_empty());
    }

    #[test]
    fn train_and_test_folders_keep_the_learners_split() {
        let l = plan(&paths(&[
            "d/train/a/1.png",
            "d/train/b/2.png",
            "d/Test/a/3.png",
        ]))
        .unwrap();
        assert!(l.split_given);
        assert_eq!(l.class_names, ["a", "b"]);
        let tests: Vec<Option<bool>> = l.files.iter().map(|f| f.test).collect();
        // In path order: Test/a/3, train/a/1, train/b/2.
        assert_eq!(tests, [Some(true), Some(false), Some(false)]);
    }

    #[test]
    fn loose_files_and_colliding_names_are_left_out_by_name() {
        let l = plan(&paths(&["a/1.png", "b/2.png", "loose.png", "A/3.png"])).unwrap();
        assert_eq!(l.class_names, ["A", "b"]);
        let messages: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("loose.png: is not inside a class folder"));
        assert!(
            messages[1].starts_with("a/1.png: its class folder 'a' collides with the class 'A'")
        );
    }

    #[test]
    fn one_class_none_or_too_many_refuse_the_dataset() {
        let one = plan(&paths(&["x/cat/1.png", "x/cat/2.png"]))
            .unwrap_err()
            .to_string();
        assert!(one.contains("found one class ('cat')"), "{one}");
        let none = plan(&paths(&["1.png", "2.png"])).unwrap_err().to_string();
        assert!(none.contains("no class folders"), "{none}");
        let many: Vec<String> = (0..101).map(|i| format!("c{i:03}/x.png")).collect();
        let e = plan(&many).unwrap_err().to_string();
        assert!(e.contains("found 101 class folders"), "{e}");
        assert!(plan(&[]).unwrap_err().to_string().contains("no files"));
    }
}
