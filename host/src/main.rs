fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let t = std::time::Instant::now();
    let mut store = graphstore::Store::open(graphstore::StoreOptions::new(
        format!("{dir}/graph"),
        format!("{dir}/run"),
    ))
    .unwrap();
    eprintln!("open {:?}", t.elapsed());
    let img = store
        .create_image(None, &["app:1".into()], None, "meta", &Default::default())
        .unwrap();
    println!("{}", img.id);
    let layer = store
        .create_layer(None, None, &["base".into()], &Default::default())
        .unwrap();
    let child = store
        .create_layer(None, Some("base"), &[], &Default::default())
        .unwrap();
    println!("{} {}", layer.id, child.id);
    println!("{:?}", store.images().unwrap().len());
    println!(
        "{:?}",
        store
            .create_image(None, &["app:1".into()], None, "meta", &Default::default())
            .unwrap_err()
    );
}
