# Written by qlsweep report; re-run with: gnuplot memory-vs-quality.gp
set terminal svg size 900,560 dynamic noenhanced font 'sans,13' background '#ffffff'
set output 'memory-vs-quality.svg'
set linetype 1 lc rgb '#1f77b4' lw 2 pt 7
set linetype 2 lc rgb '#ff7f0e' lw 2 pt 7
set linetype 3 lc rgb '#2ca02c' lw 2 pt 7
set linetype 4 lc rgb '#d62728' lw 2 pt 7
set linetype 5 lc rgb '#9467bd' lw 2 pt 7
set linetype 6 lc rgb '#8c564b' lw 2 pt 7
set linetype 7 lc rgb '#e377c2' lw 2 pt 7
set linetype 8 lc rgb '#7f7f7f' lw 2 pt 7
set linetype 9 lc rgb '#bcbd22' lw 2 pt 7
set linetype 10 lc rgb '#17becf' lw 2 pt 7
set linetype cycle 10
set grid lc rgb '#d8d8d8' lt 1 lw 1
set border 3 lc rgb '#404040'
set tics nomirror out
set key outside right top Left reverse box lc rgb '#c0c0c0' width 1
set datafile missing 'NaN'
set title 'Eval loss vs peak memory - sweep seed-batch'
set xlabel 'peak memory in use (GiB)'
set ylabel 'eval loss (nats/token, lower is better)'
set xrange [5.7838:9.90703]
set yrange [10.8708:10.873]
set lmargin at screen 0.1
set rmargin at screen 0.97
set bmargin at screen 0.19
set tmargin at screen 0.9
set key at screen 0.5, screen 0.01 center bottom horizontal maxrows 1
set arrow from 5.99707, graph 0 to 5.99707, graph 1 nohead dt 2 lw 2 lc rgb '#d62728'
plot 'memory-vs-quality.dat' index 0 using 1:2 with points lt 1 ps 1.4 title 'trial', \
     '' index 1 using 1:2:3 with labels left font ',9' tc rgb '#505050' notitle, \
     '' index 2 using 1:2:3 with labels right font ',9' tc rgb '#505050' notitle, \
     '' index 3 using 1:2 with steps lt 2 title 'Pareto front', \
     '' index 4 using 1:2 with points lt 2 pt 6 ps 2.2 notitle, \
     NaN with lines dt 2 lw 2 lc rgb '#d62728' title 'rtx4050-laptop-6gb'
unset output
